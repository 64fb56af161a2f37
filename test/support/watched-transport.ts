import { decodeClientMessage, FrameDecoder } from '@chat/protocol'
import { defaultTransport } from '@chat/client'
import type { PullDuplex, Transport } from '@chat/client'

/**
 * The SDK's transport for the address, counting the requests the client
 * writes, by type, and holding every connection after the first until the
 * test `lets()` it open: a reconnect happens when the test is ready for it
 * (what others do meanwhile is done by then), not after a guessed delay.
 */
export class WatchedTransport {
  /** Requests written so far, by type (`typing`, `read`, ...), over every connection. */
  readonly written = new Map<string, number>()
  readonly duplexes: PullDuplex[] = []
  private gate: Promise<void> | undefined
  private open: (() => void) | undefined

  /** Holds the next connections until `lets()`. */
  holdReconnects (): void {
    this.gate = new Promise(resolve => { this.open = resolve })
  }

  /** Lets the held connections open. */
  lets (): void {
    this.open?.()
    this.gate = undefined
  }

  count (type: string): number {
    return this.written.get(type) ?? 0
  }

  /** Destroys the newest connection, as a network reset would. */
  cut (): void {
    const current = this.duplexes.at(-1)
    if (current === undefined) throw new Error('no connection to cut')
    current.destroy()
  }

  readonly transport: Transport = async (address, options) => {
    if (this.duplexes.length > 0 && this.gate !== undefined) await this.gate
    const inner = await defaultTransport(address, options)
    this.duplexes.push(inner)
    const frames = new FrameDecoder(1024 * 1024)
    const written = this.written
    async function * counted (chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
      for await (const chunk of chunks) {
        for (const body of frames.push(chunk)) {
          const type = decodeClientMessage(body).type
          written.set(type, (written.get(type) ?? 0) + 1)
        }
        yield chunk
      }
    }
    const duplex: PullDuplex = {
      source: inner.source,
      sink: async chunks => { await inner.sink(counted(chunks)) },
      destroy: () => { inner.destroy() },
      get writableLength () { return inner.writableLength },
      closed: inner.closed,
      remoteAddress: inner.remoteAddress
    }
    return duplex
  }
}
