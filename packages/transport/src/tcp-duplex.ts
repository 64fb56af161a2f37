import type { Socket } from 'node:net'
import type { Duplex, DuplexEvents } from './duplex.js'
import { DuplexBase } from './duplex-base.js'

const kEvents = Symbol('chat.duplexEvents')
const kCloseSeen = Symbol('chat.closeSeen')
type AttachedSocket = Socket & { [kEvents]: DuplexEvents, [kCloseSeen]?: true }

// One set of listeners for every socket, finding their owner on the socket itself:
// a server with 10,000 idle connections keeps no closures per connection for them.
function onSocketData (this: AttachedSocket, chunk: Buffer): void { this[kEvents].onData(chunk) }
function onSocketEnd (this: AttachedSocket): void { this[kEvents].onEnd() }
function onSocketDrain (this: AttachedSocket): void { this[kEvents].onDrain() }
function onSocketClose (this: AttachedSocket): void { this[kEvents].onClose() }
/** 'close' was emitted (`socket.closed` is true as soon as `destroy()` returns, before 'close'). */
function markCloseSeen (this: AttachedSocket): void { this[kCloseSeen] = true }
/** Socket errors (a reset peer) are an end of the connection, seen through 'close'. */
function ignore (): void {}

/**
 * A connected `net.Socket` (or `tls.TLSSocket`) as a `Duplex`. The push form
 * is the socket's own events and flow control; the pull form is built over
 * it on first use. A reset peer is a close, never an exception.
 */
export class TcpDuplex extends DuplexBase {
  readonly remoteAddress: string
  private closedPromise: Promise<void> | undefined

  constructor (private readonly socket: Socket) {
    super()
    socket.on('error', ignore)
    socket.once('close', markCloseSeen)
    socket.setNoDelay(true)
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`
  }

  attach (events: DuplexEvents): void {
    const socket = this.socket as AttachedSocket
    if (socket[kEvents] !== undefined) throw new Error('this duplex is attached already (the pull form attaches it too)')
    socket[kEvents] = events
    socket.on('data', onSocketData)
    socket.on('end', onSocketEnd)
    socket.on('drain', onSocketDrain)
    socket.on('close', onSocketClose)
    // Attached too late to see it: say so on the transport's turn, as it would have.
    if (socket[kCloseSeen] === true) process.nextTick(() => { events.onClose() })
  }

  pause (): void {
    this.socket.pause()
  }

  resume (): void {
    this.socket.resume()
  }

  write (chunk: Uint8Array): boolean {
    // A write after the end would make the socket destroy itself, dropping what it still holds.
    if (this.socket.writableEnded || this.socket.destroyed) return false
    return this.socket.write(chunk)
  }

  end (): void {
    if (!this.socket.writableEnded) this.socket.end()
  }

  destroy (): void {
    this.socket.destroy()
  }

  get writableLength (): number {
    return this.socket.writableLength
  }

  get closed (): Promise<void> {
    this.closedPromise ??= (this.socket as AttachedSocket)[kCloseSeen] === true
      ? Promise.resolve()
      : new Promise(resolve => { this.socket.once('close', () => { resolve() }) })
    return this.closedPromise
  }

}

/** Wraps a connected socket as a `Duplex`. */
export function tcpDuplex (socket: Socket): Duplex {
  return new TcpDuplex(socket)
}
