import type { Duplex } from './duplex.js'
import type { MessageSocket, MessageSocketListener } from './message-socket.js'
import { WsDuplex } from './ws-duplex.js'
import type { WsDuplexOptions } from './ws-duplex.js'

/** The parts of a standard (WHATWG) WebSocket used here: a browser's global `WebSocket`. */
export interface StandardWebSocket {
  readonly readyState: number
  readonly bufferedAmount: number
  binaryType: 'blob' | 'arraybuffer'
  send: (data: Uint8Array) => void
  close: (code?: number, reason?: string) => void
  addEventListener: (type: 'message' | 'close', listener: (event: { data?: unknown }) => void) => void
}

const OPEN = 1
/** How often `bufferedAmount` is looked at while it is above zero: a browser has no event for it going down. */
const SENT_POLL_MS = 10
const textEncoder = new TextEncoder()

/**
 * A browser's WebSocket as a `MessageSocket`. What a browser does not give,
 * this makes do without: reading can't be paused (`WsDuplex` holds what
 * arrives while paused), there is no event when sent bytes leave
 * (`bufferedAmount` is polled while it is above zero), a script may close only
 * with 1000 or 3000-4999 (other codes become 1000, the reason kept), and the
 * peer's close frame is known only with the 'close' event.
 */
class BrowserMessageSocket implements MessageSocket {
  private listener: MessageSocketListener | undefined
  private polling: ReturnType<typeof setTimeout> | undefined

  constructor (private readonly ws: StandardWebSocket, readonly remoteAddress: string) {
    ws.binaryType = 'arraybuffer'
  }

  get bufferedAmount (): number {
    return this.ws.bufferedAmount
  }

  get sendable (): boolean {
    return this.ws.readyState === OPEN
  }

  send (message: Uint8Array): void {
    this.ws.send(message)
    this.watchSent()
  }

  close (code: number, reason: string): void {
    this.ws.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, reason)
  }

  terminate (): void {
    this.ws.close()
  }

  pause (): void {}
  resume (): void {}

  listen (listener: MessageSocketListener): void {
    this.listener = listener
    this.ws.addEventListener('message', event => {
      const { data } = event
      if (data instanceof ArrayBuffer) listener.onMessage(new Uint8Array(data), true)
      else listener.onMessage(textEncoder.encode(String(data)), false)
    })
    this.ws.addEventListener('close', () => {
      if (this.polling !== undefined) clearTimeout(this.polling)
      listener.onPeerClosed()
      listener.onClose()
    })
  }

  private watchSent (): void {
    if (this.polling !== undefined) return
    const poll = (): void => {
      this.polling = undefined
      this.listener?.onSent()
      if (this.ws.bufferedAmount > 0 && this.sendable) this.polling = setTimeout(poll, SENT_POLL_MS)
    }
    this.polling = setTimeout(poll, this.ws.bufferedAmount > 0 ? SENT_POLL_MS : 0)
  }
}

/** A browser WebSocket, open, as a `MessageSocket`. */
export function browserMessageSocket (ws: StandardWebSocket, remoteAddress: string): MessageSocket {
  return new BrowserMessageSocket(ws, remoteAddress)
}

/** A browser WebSocket, open, as a `Duplex`. */
export function browserWsDuplex (ws: StandardWebSocket, remoteAddress: string, options?: WsDuplexOptions): Duplex {
  return new WsDuplex(browserMessageSocket(ws, remoteAddress), options)
}
