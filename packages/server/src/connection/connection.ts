import { decodeClientMessage, encodeFrame, ErrorCodes, FrameDecoder, ProtocolError } from '@chat/protocol'
import type { ClientMessage, DecodedBatch, ErrorCode, ServerMessage } from '@chat/protocol'
import { decodeChunk } from '@chat/protocol/fast'
import { FrameQueue } from '@chat/transport'
import type { Duplex, DuplexEvents } from '@chat/transport'
import type { ResolvedServerOptions } from '../options.js'
import type { Session } from '../session/session.js'

/** Why a connection ended, as the rest of the server sees it. */
export type EndReason = 'quit' | 'disconnected'

export interface ConnectionEvents {
  /** May return a promise (a login checking a password): reading pauses until it settles. */
  onBatch: (connection: Connection, batch: DecodedBatch<ClientMessage>) => void | Promise<void>
  onClose: (connection: Connection) => void
  /** Called before the connection ends: messages it sent that are still being written are committed and answered first. */
  beforeEnd: () => void
}

let nextConnectionId = 1

/**
 * One client on the server, over any transport: its duplex, read chunk by
 * chunk (each chunk framed and decoded into one batch, synchronously), and
 * its bounded outbound queue, written as the transport takes it. Who the
 * user is lives in its `Session`, once logged in.
 *
 * The duplex's push form rather than the async-iterator pipeline the client
 * uses: a server holds many idle connections, and a suspended pipeline
 * (source iterator, decoding stage, reading loop, writing loop) kept a dozen
 * promises and generator frames alive for each, several KiB apiece. Here an
 * idle connection is the duplex, this object, its decoder and its queue.
 */
export class Connection implements DuplexEvents {
  readonly id = nextConnectionId++
  /** Set once logged in. */
  session: Session | undefined
  /** Last time anything arrived (ms since epoch), for heartbeats. */
  lastSeen = Date.now()
  /** Since when we hold its requests (reading paused until a batch is handled), 0 if we don't. */
  private heldSince = 0
  /** Last time the transport took our bytes. */
  private lastWritten = 0
  lastPingAt = 0
  pingCount = 0
  /** True once the server decided to end it: nothing more is routed to or from it. */
  closing = false
  endReason: EndReason = 'disconnected'

  private readonly queue: FrameQueue
  private readonly frames: FrameDecoder
  private destroyTimer: NodeJS.Timeout | undefined
  /** Made on first use: most connections never need one. */
  private ending: AbortController | undefined
  private transportClosed = false
  /** The transport holds more than its mark: we wait for `onDrain`. */
  private transportFull = false

  constructor (
    private readonly duplex: Duplex,
    private readonly options: ResolvedServerOptions,
    private readonly events: ConnectionEvents
  ) {
    this.frames = new FrameDecoder(options.maxFrameBytes)
    // Routing pushes a whole batch in one synchronous run: the writer can go right after it.
    this.queue = new FrameQueue({ maxQueuedBytes: options.maxQueuedBytes, wake: 'microtask', writer: () => { this.write() } })
    duplex.attach(this)
  }

  /** True once the transport has closed (and `onClose` was reported). */
  get isClosed (): boolean {
    return this.transportClosed
  }

  /** The peer's address, for logs. */
  get remoteAddress (): string {
    return this.duplex.remoteAddress
  }

  /** The peer's address without the port, for throttling by address. */
  get remoteHost (): string {
    return this.duplex.remoteAddress.replace(/:\d+$/, '')
  }

  /** Who is on it, for logs. */
  get name (): string {
    return this.session?.username ?? 'anonymous'
  }

  /** Aborted once the connection is ending: work done on its behalf (a login delay) can stop. */
  get signal (): AbortSignal {
    if (this.ending === undefined) {
      this.ending = new AbortController()
      if (this.closing) this.ending.abort()
    }
    return this.ending.signal
  }

  /** Outbound bytes waiting in our queue (the transport takes more only as it drains). */
  get queuedFrameBytes (): number {
    return this.queue.bytes
  }

  /** Outbound bytes waiting, in our queue and the transport's. */
  get queuedBytes (): number {
    return this.queue.bytes + this.duplex.writableLength
  }

  /**
   * When the peer last showed it is alive, for heartbeats: bytes from it;
   * or, while we are the ones not reading (its requests wait their turn), the
   * moment we stopped and our bytes the transport took since.
   */
  get lastSignOfLife (): number {
    return this.heldSince === 0 ? this.lastSeen : Math.max(this.lastSeen, this.heldSince, this.lastWritten)
  }

  /** A chunk from the peer: one batch, handled in order; a batch still pending (a login, big answers taking turns) pauses reading. */
  onData (chunk: Uint8Array): void {
    this.lastSeen = Date.now()
    if (this.closing) return
    let decoded
    try {
      decoded = decodeChunk(this.frames, chunk, decodeClientMessage)
    } catch (err) {
      this.internalError(err)
      return
    }
    const { batch, fatal } = decoded
    const pending = batch.length > 0 ? this.handleBatch(batch) : undefined
    if (pending === undefined) {
      if (fatal !== undefined) this.failOn(fatal)
      return
    }
    this.duplex.pause()
    this.heldSince = Date.now()
    void pending.then(() => {
      this.heldSince = 0
      if (fatal !== undefined) this.failOn(fatal)
      this.duplex.resume()
    })
  }

  /** The peer ended its side: answer what it sent, flush what is queued, then close. */
  onEnd (): void {
    if (this.closing) return
    try {
      this.frames.end()
    } catch (err) {
      // It stopped in the middle of a frame.
      if (err instanceof ProtocolError) this.fail(err.code, err.message)
    }
    this.end()
  }

  onClose (): void {
    if (this.transportClosed) return
    this.transportClosed = true
    // A vanished peer: whatever it sent before is answered (to no one), its messages committed.
    if (!this.closing) this.end()
    clearTimeout(this.destroyTimer)
    this.queue.clear()
    this.events.onClose(this)
  }

  onDrain (): void {
    this.transportFull = false
    this.write()
  }

  /** Hands queued frames to the transport until it is full; they wait in our bounded queue meanwhile. */
  private write (): void {
    if (this.transportClosed || this.transportFull) return
    if (this.queue.hasFrames && this.heldSince !== 0) this.lastWritten = Date.now()
    while (this.queue.hasFrames) {
      if (!this.duplex.write(this.queue.take())) {
        this.transportFull = true
        return
      }
    }
    if (this.queue.isEnded) this.duplex.end()
  }

  /** A fault of ours while handling the peer's messages must not be reported as the peer's bad input. */
  private handleBatch (batch: DecodedBatch<ClientMessage>): Promise<void> | undefined {
    try {
      return this.events.onBatch(this, batch)?.catch(err => { this.internalError(err) })
    } catch (err) {
      this.internalError(err)
    }
  }

  private internalError (err: unknown): void {
    this.options.logger.warn(`internal error on connection ${this.id} (${this.name}): ${(err as Error).stack ?? String(err)}`)
    this.fail(ErrorCodes.INTERNAL_ERROR, 'the server failed to handle a request')
  }

  /** A fatal decoding error: its request id, if it had one (a hello of another version), goes back as `re`. */
  private failOn (fatal: ProtocolError): void {
    this.fail(fatal.code, fatal.message, false, fatal.req)
  }

  /** Resolves once everything queued so far has been handed to the transport. */
  async drained (): Promise<void> {
    await this.queue.drained()
  }

  /** Queues already-framed bytes. A consumer too far behind is dropped as `slow_consumer`. */
  sendFrame (frame: Uint8Array): void {
    if (this.closing) return
    if (!this.queue.push(frame)) {
      this.fail(ErrorCodes.SLOW_CONSUMER, `more than ${this.options.maxQueuedBytes} bytes queued for this connection`, true)
    }
  }

  send (message: ServerMessage): void {
    this.sendFrame(encodeFrame(message, this.options.maxFrameBytes))
  }

  /** Replies to a request with an error frame; the connection carries on. */
  refuse (re: number | undefined, code: ErrorCode, message: string): void {
    this.send(re === undefined ? { type: 'error', code, message } : { type: 'error', re, code, message })
  }

  /**
   * Sends a fatal error and closes. With `dropQueued`, what was queued is
   * dropped first, so the error goes out next (used for slow consumers).
   */
  fail (code: ErrorCode, message: string, dropQueued = false, re?: number): void {
    if (this.closing) return
    if (dropQueued) this.queue.clear()
    this.end(re === undefined
      ? { type: 'error', code, message, fatal: true }
      : { type: 'error', re, code, message, fatal: true })
  }

  /**
   * Ends the connection after an optional last message. Whatever is queued
   * still goes out; a peer that doesn't take it within `closeTimeoutMs` is cut off.
   */
  end (last?: ServerMessage): void {
    if (this.closing) return
    this.events.beforeEnd()
    if (this.closing) return // ended while committing (a slow consumer)
    this.closing = true
    this.ending?.abort()
    // What arrives from now on is dropped; a paused transport would never see the peer's close.
    this.duplex.resume()
    this.queue.end(last === undefined ? undefined : encodeFrame(last, this.options.maxFrameBytes))
    if (this.transportClosed) return
    this.destroyTimer ??= setTimeout(() => { this.duplex.destroy() }, this.options.closeTimeoutMs)
    this.destroyTimer.unref()
  }

  /** Cuts the connection now. */
  destroy (): void {
    this.closing = true
    this.ending?.abort()
    this.queue.clear()
    this.duplex.destroy()
  }
}
