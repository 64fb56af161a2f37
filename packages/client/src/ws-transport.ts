import { WebSocket } from 'ws'
import { maxWebSocketMessageBytes, WEBSOCKET_PATH } from '@chat/protocol'
import { wsDuplex } from '@chat/transport'
import type { Duplex } from '@chat/transport'
import { abortedError, checkScheme, connectFailed, isAborted } from './transport-errors.js'
import type { Transport } from './transports.js'

/**
 * `ws://host:port/ws` and `wss://host:port/ws` (Node, with the `ws`
 * package): the protocol's bytes in binary WebSocket messages. Without a
 * path, `/ws`. The port is the URL's (`connect()` puts 7780 in an address
 * typed without one, see `withDefaultPort`). `wss:` checks the server's certificate
 * against `options.tls.ca` (or the system's CAs).
 */
export const wsTransport: Transport = async (address, { signal, tls = {}, maxFrameBytes }) => {
  checkScheme(address, ['ws:', 'wss:'], 'ws://host:port/ws or wss://host:port/ws')
  if (isAborted(signal)) throw abortedError(signal)
  const url = new URL(address)
  if (url.pathname === '/') url.pathname = WEBSOCKET_PATH
  const ws = new WebSocket(url, {
    perMessageDeflate: false,
    maxPayload: maxWebSocketMessageBytes(maxFrameBytes),
    ...url.protocol === 'wss:' ? { ca: tls.ca, cert: tls.cert, key: tls.key, servername: tls.servername, rejectUnauthorized: tls.rejectUnauthorized } : {}
  })
  const abort = (): void => { ws.terminate() }
  signal?.addEventListener('abort', abort, { once: true })
  try {
    return await new Promise<Duplex>((resolve, reject) => {
      // Made in the 'open' listener itself: the duplex listens before any message can be emitted.
      ws.once('open', () => { resolve(wsDuplex(ws, url.host)) })
      ws.once('error', reject)
      ws.once('close', () => { reject(new Error('the connection closed during the WebSocket handshake')) })
    })
  } catch (err) {
    ws.terminate()
    if (isAborted(signal)) throw abortedError(signal)
    throw connectFailed(url.href, err)
  } finally {
    signal?.removeEventListener('abort', abort)
  }
}
