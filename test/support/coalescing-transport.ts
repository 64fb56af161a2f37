import { decodeServerMessage, FrameDecoder } from '@chat/protocol'
import type { ServerMessage } from '@chat/protocol'
import { defaultTransport } from '@chat/client'
import type { PullDuplex, Transport } from '@chat/client'

/**
 * The SDK's transport for the address, but when a chunk from the server holds a message
 * `holdAfter` accepts, that chunk is held back and handed to the client
 * together with whatever arrives next (up to `holdMs`), in one chunk. A transport may
 * always deliver bytes that way; this makes it happen when a test needs it:
 * "a reply and the messages right after it, in one read".
 */
export class CoalescingTransport {
  /** Called once per held chunk, when it is held: the test can make the server send more now. */
  onHold: ((message: ServerMessage) => void) | undefined
  /** How many chunks were merged with a later one. */
  merged = 0
  /** Every connection opened, so the test can cut the current one. */
  readonly duplexes: PullDuplex[] = []

  constructor (private readonly holdAfter: (message: ServerMessage) => boolean, private readonly holdMs = 2_000) {}

  readonly transport: Transport = async (address, options) => {
    const inner = await defaultTransport(address, options)
    this.duplexes.push(inner)
    const decoder = new FrameDecoder(1024 * 1024)
    const self = this
    async function * source (): AsyncGenerator<Uint8Array> {
      const iterator = inner.source[Symbol.asyncIterator]()
      let pending: Promise<IteratorResult<Uint8Array>> | undefined
      while (true) {
        const result = await (pending ?? iterator.next())
        pending = undefined
        if (result.done === true) return
        let chunk = result.value
        let held: ServerMessage | undefined
        for (const body of decoder.push(chunk)) {
          const message = decodeServerMessage(body)
          if (held === undefined && self.holdAfter(message)) held = message
        }
        if (held !== undefined) {
          self.onHold?.(held)
          let timer: NodeJS.Timeout | undefined
          const next = iterator.next()
          const more = await Promise.race([next, new Promise<undefined>(resolve => { timer = setTimeout(() => { resolve(undefined) }, self.holdMs) })])
          clearTimeout(timer)
          if (more === undefined) {
            pending = next
          } else if (more.done !== true) {
            for (const body of decoder.push(more.value)) decodeServerMessage(body)
            const joined = new Uint8Array(chunk.byteLength + more.value.byteLength)
            joined.set(chunk, 0)
            joined.set(more.value, chunk.byteLength)
            chunk = joined
            self.merged++
          } else {
            pending = next
          }
        }
        yield chunk
      }
    }
    const duplex: PullDuplex = {
      source: source(),
      sink: async chunks => { await inner.sink(chunks) },
      destroy: () => { inner.destroy() },
      get writableLength () { return inner.writableLength },
      closed: inner.closed,
      remoteAddress: inner.remoteAddress
    }
    return duplex
  }

  /** Destroys the newest connection under the client. */
  cut (): void {
    const current = this.duplexes.at(-1)
    if (current === undefined) throw new Error('no connection to cut')
    current.destroy()
  }
}
