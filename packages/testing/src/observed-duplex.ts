import type { Duplex, DuplexEvents } from '@chat/transport'

/**
 * A `Duplex` that passes everything through to the one it wraps and notes
 * what its owner was told in push form, so a test can wait for the server's
 * side of a connection to have seen something (its peer's end, the close)
 * instead of hoping it has. The pull form passes through unobserved.
 */
export class ObservedDuplex implements Duplex {
  /** Chunks and bytes handed to the owner. */
  chunksIn = 0
  bytesIn = 0
  /** True once the owner's `onEnd` has run (the peer ended its side). */
  endSeen = false
  /** True once the owner's `onClose` has run. */
  closeSeen = false
  /** Settles once the owner's `onEnd` has run. */
  readonly ended: Promise<void>
  /** Settles once the owner's `onClose` has run. */
  readonly closeHandled: Promise<void>
  private resolveEnded!: () => void
  private resolveCloseHandled!: () => void

  constructor (readonly inner: Duplex) {
    this.ended = new Promise(resolve => { this.resolveEnded = resolve })
    this.closeHandled = new Promise(resolve => { this.resolveCloseHandled = resolve })
  }

  get source (): AsyncIterable<Uint8Array> {
    return this.inner.source
  }

  readonly sink = async (source: AsyncIterable<Uint8Array>): Promise<void> => {
    await this.inner.sink(source)
  }

  get writableLength (): number {
    return this.inner.writableLength
  }

  get closed (): Promise<void> {
    return this.inner.closed
  }

  get remoteAddress (): string {
    return this.inner.remoteAddress
  }

  attach (events: DuplexEvents): void {
    this.inner.attach({
      onData: chunk => {
        this.chunksIn++
        this.bytesIn += chunk.byteLength
        events.onData(chunk)
      },
      onEnd: () => {
        events.onEnd()
        this.endSeen = true
        this.resolveEnded()
      },
      onDrain: () => { events.onDrain() },
      onClose: () => {
        events.onClose()
        this.closeSeen = true
        this.resolveCloseHandled()
      }
    })
  }

  pause (): void {
    this.inner.pause()
  }

  resume (): void {
    this.inner.resume()
  }

  write (chunk: Uint8Array): boolean {
    return this.inner.write(chunk)
  }

  end (): void {
    this.inner.end()
  }

  destroy (): void {
    this.inner.destroy()
  }
}
