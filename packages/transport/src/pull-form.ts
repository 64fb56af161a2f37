import type { Duplex, DuplexEvents } from './duplex.js'

/** The push form of a Duplex: what a transport implements itself. */
export type PushForm = Pick<Duplex, 'attach' | 'pause' | 'resume' | 'write' | 'end'>

const CLOSED = Symbol('closed')

/** Chunks held for a consumer that has not pulled them yet, before the transport is paused. */
const SOURCE_HIGH_WATER_MARK = 64 * 1024

/**
 * The pull form (`source`, `sink`) of a connection, built once over its push
 * form, so that every transport has both with the same semantics: the
 * source ends (never throws) when the peer ends or the connection closes; a
 * consumer that stops pulling lets at most ~64 KiB arrive before the
 * transport is paused; the sink waits for `onDrain` whenever a write says
 * the transport is full, and stops when the connection closes.
 */
export class PullForm implements DuplexEvents {
  private chunks: Uint8Array[] = []
  private head = 0
  private bufferedBytes = 0
  private paused = false
  private ended = false
  private closed = false
  private wakeSource: (() => void) | undefined
  private wakeSink: (() => void) | undefined
  /** Settles on close: a sink waiting on an idle source stops waiting then. */
  private readonly whenClosed: Promise<typeof CLOSED>
  private resolveClosed!: (closed: typeof CLOSED) => void

  constructor (private readonly duplex: PushForm) {
    this.whenClosed = new Promise(resolve => { this.resolveClosed = resolve })
    duplex.attach(this)
  }

  onData (chunk: Uint8Array): void {
    this.chunks.push(chunk)
    this.bufferedBytes += chunk.byteLength
    if (this.bufferedBytes >= SOURCE_HIGH_WATER_MARK && !this.paused) {
      this.paused = true
      this.duplex.pause()
    }
    this.notifySource()
  }

  onEnd (): void {
    this.ended = true
    this.notifySource()
  }

  onDrain (): void {
    this.notifySink()
  }

  onClose (): void {
    this.ended = true
    this.closed = true
    this.notifySource()
    this.notifySink()
    this.resolveClosed(CLOSED)
  }

  async * source (): AsyncGenerator<Uint8Array> {
    try {
      while (true) {
        if (this.head < this.chunks.length) {
          const chunk = this.take()
          yield chunk
        } else if (this.ended) {
          return
        } else {
          await new Promise<void>(resolve => { this.wakeSource = resolve })
        }
      }
    } finally {
      // Stopped early: nothing reads any more, so nothing should arrive (the transport stays open for the sink).
      this.chunks = []
      this.head = 0
      this.bufferedBytes = 0
      if (!this.paused && !this.ended) {
        this.paused = true
        this.duplex.pause()
      }
    }
  }

  async sink (source: AsyncIterable<Uint8Array>): Promise<void> {
    const iterator = source[Symbol.asyncIterator]()
    while (true) {
      // Drop each chunk before waiting for the next: an idle connection holds no last write.
      let next: IteratorResult<Uint8Array> | typeof CLOSED | undefined = await Promise.race([iterator.next(), this.whenClosed])
      if (next === CLOSED || this.closed) {
        // Not awaited: a source waiting for its next item (an idle queue) finishes its return when it wakes.
        iterator.return?.().catch(() => {})
        return
      }
      if (next.done === true) break
      const full = !this.duplex.write(next.value)
      next = undefined
      if (full) await new Promise<void>(resolve => { this.wakeSink = resolve })
    }
    if (!this.closed) this.duplex.end()
  }

  private take (): Uint8Array {
    const chunk = this.chunks[this.head++]
    this.bufferedBytes -= chunk.byteLength
    if (this.head === this.chunks.length) {
      this.chunks = []
      this.head = 0
      if (this.paused) {
        this.paused = false
        this.duplex.resume()
      }
    }
    return chunk
  }

  private notifySource (): void {
    const wake = this.wakeSource
    this.wakeSource = undefined
    wake?.()
  }

  private notifySink (): void {
    const wake = this.wakeSink
    this.wakeSink = undefined
    wake?.()
  }
}
