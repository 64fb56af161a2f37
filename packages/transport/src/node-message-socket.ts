import type { Duplex } from './duplex.js'
import type { MessageSocket, MessageSocketListener } from './message-socket.js'
import { WsDuplex } from './ws-duplex.js'
import type { WsDuplexOptions } from './ws-duplex.js'

/**
 * The parts of a WebSocket of the `ws` package (8.x), open, that
 * `nodeMessageSocket` uses. Described here rather than imported: this
 * package does not load `ws` (the server and the Node SDK do, and hand their
 * sockets in), so nothing of it reaches a browser build.
 */
export interface WsPackageSocket {
  readonly readyState: number
  readonly bufferedAmount: number
  binaryType: string
  send (data: Uint8Array, options: { binary: boolean }, cb: (err?: Error) => void): void
  close (code?: number, reason?: string): void
  terminate (): void
  pause (): void
  resume (): void
  on (event: string, listener: (...args: any[]) => void): unknown
}

const OPEN = 1
const BINARY = { binary: true }
const kListener = Symbol('chat.messageSocketListener')
type Listened<T> = T & { [kListener]: MessageSocketListener }

// One set of listener functions for every socket, finding their listener on the emitter itself.
function onWsMessage (this: Listened<WsPackageSocket>, data: Uint8Array, isBinary: boolean): void { this[kListener].onMessage(data, isBinary) }
function onWsClose (this: Listened<WsPackageSocket>): void { this[kListener].onClose() }
function onReceiverConclude (this: Listened<object>): void { this[kListener].onPeerClosed() }
/** Errors (a reset, a protocol violation, an oversized message) end in 'close', which is what the duplex reports. */
function ignore (): void {}

/**
 * A `ws` package WebSocket as a `MessageSocket`: real backpressure on both
 * sides (`pause()` stops reading the TCP socket; `bufferedAmount` counts
 * what the TCP socket holds).
 *
 * When bytes went out: `ws.send`'s callback, which runs once the TCP socket
 * has handed that message to the OS, and not the socket's 'drain' (reached
 * only through the private `ws._socket`, and emitted only once the socket
 * is empty, whereas the duplex may say it drained as soon as it is below its mark).
 */
class NodeMessageSocket implements MessageSocket {
  private listener: MessageSocketListener | undefined
  private readonly sent = (): void => { this.listener?.onSent() }

  constructor (private readonly ws: WsPackageSocket, readonly remoteAddress: string) {
    // Messages as Buffers over what ws read (no copy into ArrayBuffers).
    ws.binaryType = 'nodebuffer'
  }

  get bufferedAmount (): number {
    return this.ws.bufferedAmount
  }

  get sendable (): boolean {
    return this.ws.readyState === OPEN
  }

  send (message: Uint8Array): void {
    this.ws.send(message, BINARY, this.sent)
  }

  close (code: number, reason: string): void {
    this.ws.close(code, reason)
  }

  terminate (): void {
    this.ws.terminate()
  }

  pause (): void {
    this.ws.pause()
  }

  resume (): void {
    this.ws.resume()
  }

  listen (listener: MessageSocketListener): void {
    if (this.listener !== undefined) throw new Error('this socket has a listener already')
    this.listener = listener
    const ws = this.ws as Listened<WsPackageSocket>
    ws[kListener] = listener
    ws.on('message', onWsMessage)
    ws.on('close', onWsClose)
    ws.on('error', ignore)
    // ws has no public event for the peer's close frame: 'close' waits for the TCP close, which
    // a paused reader never sees. Its receiver's 'conclude' (8.x) is that moment; it runs after
    // ws's own listener, which has answered with our close frame. Without it, the end comes with 'close'.
    const receiver = (this.ws as unknown as { _receiver?: { on?: (event: string, listener: () => void) => void } })._receiver
    if (typeof receiver?.on === 'function') {
      (receiver as Listened<object>)[kListener] = listener
      receiver.on('conclude', onReceiverConclude)
    }
  }
}

/** Adapts an open `ws` package WebSocket; `remoteAddress` is the peer's `host:port`. */
export function nodeMessageSocket (ws: WsPackageSocket, remoteAddress: string): MessageSocket {
  return new NodeMessageSocket(ws, remoteAddress)
}

/** An open `ws` package WebSocket as a `Duplex` (`WsDuplex` over `nodeMessageSocket`). */
export function wsDuplex (ws: WsPackageSocket, remoteAddress: string, options?: WsDuplexOptions): Duplex {
  return new WsDuplex(nodeMessageSocket(ws, remoteAddress), options)
}
