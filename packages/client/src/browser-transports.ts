import { ErrorCodes, WEBSOCKET_PATH } from '@chat/protocol'
import { browserWsDuplex } from '@chat/transport'
import type { Duplex, StandardWebSocket } from '@chat/transport'
import { ChatError } from './chat-error.js'
import { abortedError, checkScheme, connectFailed, isAborted } from './transport-errors.js'
import { refusedScheme } from './transports.js'
import type { Transport, TransportRegistry } from './transports.js'

type WebSocketConstructor = new (url: string) => StandardWebSocket & {
  addEventListener: (type: 'open' | 'error' | 'close', listener: () => void, options?: { once: boolean }) => void
}

/**
 * `ws://` and `wss://` in a browser, over its global `WebSocket` (which
 * trusts the browser's certificates: the `tls` option has no say here).
 */
export const browserWsTransport: Transport = async (address, { signal }) => {
  checkScheme(address, ['ws:', 'wss:'], 'ws://host:port/ws or wss://host:port/ws')
  if (isAborted(signal)) throw abortedError(signal)
  const WebSocket = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (WebSocket === undefined) throw new ChatError(ErrorCodes.CONNECT_FAILED, 'this environment has no global WebSocket')
  const url = new URL(address)
  if (url.pathname === '/') url.pathname = WEBSOCKET_PATH
  const ws = new WebSocket(url.href)
  const abort = (): void => { ws.close() }
  signal?.addEventListener('abort', abort, { once: true })
  try {
    return await new Promise<Duplex>((resolve, reject) => {
      // Made in the 'open' listener itself: the duplex listens before any message can arrive.
      ws.addEventListener('open', () => { resolve(browserWsDuplex(ws, url.host)) }, { once: true })
      // A browser says nothing more than that (the reason is in its console).
      ws.addEventListener('error', () => { reject(new Error('the WebSocket connection failed')) }, { once: true })
      ws.addEventListener('close', () => { reject(new Error('the connection closed during the WebSocket handshake')) }, { once: true })
    })
  } catch (err) {
    ws.close()
    if (isAborted(signal)) throw abortedError(signal)
    throw connectFailed(url.href, err)
  } finally {
    signal?.removeEventListener('abort', abort)
  }
}

/** What a browser can't open: said in words, with what to use instead (`connect` checks every address up front). */
function refused (scheme: string): Transport {
  return refusedScheme(`${scheme}// needs Node.js (a browser cannot open a raw socket): connect with ws:// or wss://`)
}

/** The transports of a browser, by scheme. */
export const browserTransports: TransportRegistry = new Map([
  ['ws:', browserWsTransport],
  ['wss:', browserWsTransport],
  ['tcp:', refused('tcp:')],
  ['tls:', refused('tls:')]
])
