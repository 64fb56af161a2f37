import { connect as netConnect } from 'node:net'
import { once } from 'node:events'
import type { PullDuplex, Transport } from '@chat/client'

/**
 * A TCP transport for the SDK that connects from a given local address
 * (127.0.0.2, 127.0.0.3, ... on Linux loopback), so a test can be several
 * clients on different addresses, as the server's per-address rules see them.
 */
export function boundTransport (localAddress: string): Transport {
  return async address => {
    const socket = netConnect({ host: address.hostname, port: Number(address.port), localAddress, noDelay: true })
    socket.on('error', () => {})
    await Promise.race([
      once(socket, 'connect'),
      once(socket, 'close').then(() => { throw new Error(`could not connect from ${localAddress} to ${address.href}`) })
    ])
    const closed = new Promise<void>(resolve => { socket.once('close', () => { resolve() }) })
    async function * source (): AsyncGenerator<Uint8Array> {
      try {
        for await (const chunk of socket.iterator({ destroyOnReturn: false })) yield chunk as Uint8Array
      } catch {
        // A reset is an end of stream, as with the SDK's own transport.
      }
    }
    const duplex: PullDuplex = {
      source: source(),
      sink: async chunks => {
        for await (const chunk of chunks) {
          if (socket.destroyed) return
          if (!socket.write(chunk)) await Promise.race([once(socket, 'drain'), closed])
        }
        if (!socket.destroyed) socket.end()
      },
      destroy: () => { socket.destroy() },
      get writableLength () { return socket.writableLength },
      closed,
      remoteAddress: `${address.hostname}:${address.port}`
    }
    return duplex
  }
}
