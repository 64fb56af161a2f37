import type { DuplexEvents } from './duplex.js'
import { DuplexBase } from './duplex-base.js'
import { afterThisTurn } from './next-turn.js'
import { WsCloseCodes } from './message-socket.js'
import type { MessageSocket, MessageSocketListener } from './message-socket.js'

export interface WsDuplexOptions {
  /** `write` returns false once the socket holds this many unsent bytes. Default 16 KiB, a TCP socket's mark. */
  highWaterMark?: number
  /**
   * Longest message sent: a longer write goes out as several messages (the
   * bytes mean the same, message boundaries mean nothing to the protocol),
   * so every message is within any receiver's limit. Default 64 KiB.
   */
  maxMessageBytes?: number
}

/** Why a text message is refused, as the close reason says it (at most 123 bytes). */
const TEXT_REFUSED = 'text messages are not accepted: the protocol travels in binary messages'

/**
 * A WebSocket connection as a `Duplex`: each `write` is one binary message
 * (or several, for a write over `maxMessageBytes`), each binary message that arrives is one chunk (the frames inside are the
 * protocol's business: a message may hold several, or part of one). A text
 * message is refused: the connection is closed with 1003.
 *
 * What a WebSocket does not give by itself, this adds:
 * - a strict `pause()`: the socket stops reading, and what it had already
 *   parsed waits here until `resume()`;
 * - nothing is read before `attach` (the socket is paused until an owner is there);
 * - `onEnd` when the peer's close frame arrives (a WebSocket has no half-close:
 *   the socket answers it with its own close, after what was sent);
 * - `onDrain` once `bufferedAmount` is below the mark again, after a full `write`.
 *
 * The socket is a `MessageSocket`, so this class is environment-neutral:
 * `nodeMessageSocket` adapts the `ws` package's WebSocket.
 *
 * The socket's callbacks are this object's `MessageSocketListener` methods
 * (no closures per connection); they are not for the owner.
 */
export class WsDuplex extends DuplexBase implements MessageSocketListener {
  readonly closed: Promise<void>
  private readonly highWaterMark: number
  private readonly maxMessageBytes: number
  private events: DuplexEvents | undefined
  /** Messages that arrived while no one was reading (not attached yet, or paused), in order. */
  private held: Uint8Array[] = []
  private paused = false
  /** Whether the socket is told not to read now. */
  private socketPaused = false
  /** The peer's close frame arrived, or its input ended: no more messages. */
  private inputEnded = false
  private socketClosed = false
  /** Closed after the peer's close frame (what arrived before it is whole and is still handed on). */
  private closedCleanly = false
  private endDelivered = false
  private closeDelivered = false
  private writeEnded = false
  private destroyedHere = false
  private wantsDrain = false
  private flushScheduled = false
  private resolveClosed!: () => void

  constructor (private readonly socket: MessageSocket, options: WsDuplexOptions = {}) {
    super()
    this.highWaterMark = options.highWaterMark ?? 16 * 1024
    this.maxMessageBytes = options.maxMessageBytes ?? 64 * 1024
    this.closed = new Promise(resolve => { this.resolveClosed = resolve })
    socket.listen(this)
    this.updateReading()
  }

  get remoteAddress (): string {
    return this.socket.remoteAddress
  }

  get writableLength (): number {
    return this.socket.bufferedAmount
  }

  attach (events: DuplexEvents): void {
    if (this.events !== undefined) throw new Error('this duplex is attached already (the pull form attaches it too)')
    this.events = events
    this.updateReading()
    // What arrived before (or the close), handed on on a later turn: never inside this call.
    if (this.held.length > 0 || this.inputEnded || this.socketClosed) this.scheduleFlush()
  }

  pause (): void {
    this.paused = true
    this.updateReading()
  }

  resume (): void {
    this.paused = false
    this.updateReading()
    if (this.held.length > 0 || this.inputEnded || this.socketClosed) this.scheduleFlush()
  }

  write (chunk: Uint8Array): boolean {
    if (this.writeEnded || !this.socket.sendable) return false
    // An empty message would reach the peer as an empty chunk: a socket sends nothing for an empty write.
    // A write longer than a message (a server's commit joined for a room) is cut, as views: no copy.
    for (let offset = 0; offset < chunk.byteLength; offset += this.maxMessageBytes) {
      this.socket.send(offset === 0 && chunk.byteLength <= this.maxMessageBytes ? chunk : chunk.subarray(offset, offset + this.maxMessageBytes))
    }
    if (this.socket.bufferedAmount < this.highWaterMark) return true
    this.wantsDrain = true
    return false
  }

  end (): void {
    if (this.writeEnded) return
    this.writeEnded = true
    // The close frame goes after what was sent; the peer answers with its own, and the socket closes.
    if (this.socket.sendable) this.socket.close(WsCloseCodes.NORMAL, '')
  }

  destroy (): void {
    if (this.destroyedHere) return
    this.destroyedHere = true
    this.writeEnded = true
    this.held = []
    if (!this.socketClosed) this.socket.terminate()
    // Closed already, with messages a paused owner had not taken: they are dropped, and the close handed on.
    else this.scheduleFlush()
  }

  // The socket's callbacks (MessageSocketListener).

  onMessage (data: Uint8Array, binary: boolean): void {
    if (this.inputEnded || this.destroyedHere) return
    if (!binary) {
      this.refuseText()
      return
    }
    if (data.byteLength === 0) return
    if (this.events !== undefined && !this.paused && this.held.length === 0) this.events.onData(data)
    else this.held.push(data)
  }

  onPeerClosed (): void {
    this.inputEnded = true
    this.flush()
  }

  onSent (): void {
    if (!this.wantsDrain || this.socket.bufferedAmount >= this.highWaterMark) return
    this.wantsDrain = false
    // No drain once ending or closing, as with a socket: the owner hears of the end instead.
    if (!this.writeEnded && !this.closeDelivered && this.socket.sendable) this.events?.onDrain()
  }

  onClose (): void {
    if (this.socketClosed) return
    this.socketClosed = true
    this.closedCleanly = this.inputEnded
    this.inputEnded = true
    this.flush()
  }

  /** Only binary messages carry the protocol: a text message closes the connection with 1003 (what came before it is still handed on). */
  private refuseText (): void {
    this.inputEnded = true
    this.writeEnded = true
    if (this.socket.sendable) this.socket.close(WsCloseCodes.UNSUPPORTED_DATA, TEXT_REFUSED)
  }

  private updateReading (): void {
    const stop = this.events === undefined || this.paused
    if (stop === this.socketPaused) return
    this.socketPaused = stop
    if (stop) this.socket.pause()
    else this.socket.resume()
  }

  private scheduleFlush (): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    afterThisTurn(() => {
      this.flushScheduled = false
      this.flush()
    })
  }

  /**
   * Hands on what waits, in order: held messages while not paused, then the
   * end, then the close. After a clean close, a paused owner still gets
   * everything once it resumes (as a paused socket keeps what it read); a cut
   * connection (ours, or one that ended without a close frame) drops what a
   * paused owner did not take, as a reset socket does.
   */
  private flush (): void {
    if (this.closeDelivered) return
    const events = this.events
    if (events === undefined) {
      // No owner yet: `closed` still settles; `attach` hands on the rest.
      if (this.socketClosed) this.resolveClosed()
      return
    }
    const cut = this.socketClosed && (this.destroyedHere || !this.closedCleanly)
    if (cut && this.paused) this.held = []
    while (this.held.length > 0 && !this.paused) events.onData(this.held.shift()!)
    if (this.held.length > 0) return
    if (this.inputEnded && !this.endDelivered && !this.paused && !this.destroyedHere) {
      this.endDelivered = true
      events.onEnd()
    }
    if (this.socketClosed && (this.endDelivered || cut) && !this.closeDelivered) {
      this.closeDelivered = true
      events.onClose()
      this.resolveClosed()
    }
  }
}
