import { decodeServerMessage, encodeFrame, FrameDecoder } from '@chat/protocol'
import { tcpTransport } from '@chat/client'
import type { PullDuplex, Transport } from '@chat/client'

/**
 * The SDK's TCP transport, but the server's `welcome` reaches the client
 * without the rate limits it announces (as from a server that does not
 * announce them): the client can't pace itself, so it meets the server's
 * `rate_limited` refusals and must retry them.
 */
export const rateBlindTransport: Transport = async (address, options) => {
  const inner = await tcpTransport(address, options)
  const decoder = new FrameDecoder(1024 * 1024)
  async function * source (): AsyncGenerator<Uint8Array> {
    for await (const chunk of inner.source) {
      const frames = decoder.push(chunk).map(body => {
        const message = decodeServerMessage(body)
        if (message.type !== 'welcome') return encodeFrame(message, 1024 * 1024)
        const { messagesPerSecond, messageBurst, bytesPerSecond, byteBurst, requestsPerSecond, requestBurst, ...blind } = message
        return encodeFrame(blind)
      })
      if (frames.length > 0) yield Buffer.concat(frames)
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
