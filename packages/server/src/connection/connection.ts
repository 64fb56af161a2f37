import { encodeFrame, ErrorCodes, FrameDecoder, ProtocolError } from '@chat/protocol'
import type { ClientMessage, DecodedBatch, ErrorCode, ServerMessage } from '@chat/protocol'
import { decodeClientChunkInPlace } from '@chat/protocol/fast'
import { FrameQueue } from '@chat/transport'
import type { Duplex, DuplexEvents } from '@chat/transport'
import { afterThisRun } from './after-this-run.js'
import { addressKey } from '../limits/address-key.js'
import { ConnectionRates } from '../limits/connection-rates.js'
import type { ResolvedServerOptions } from '../options.js'
import type { ServerCounters } from '../ops/server-counters.js'
import type { Session } from '../session/session.js'

/** Why a connection ended, as the rest of the server sees it. */
export type EndReason = 'quit' | 'disconnected'

export interface ConnectionEvents {
  /** May return a promise (a login checking a password): the requests after it wait until it settles. */
  onBatch: (connection: Connection, batch: DecodedBatch<ClientMessage>) => void | Promise<void>
  onClose: (connection: Connection) => void
  /** Called before the connection ends: messages it sent that are still being written are committed and answered first. */
  beforeEnd: () => void
  /** Bytes in and out are counted here. */
  counters: ServerCounters
}

let nextConnectionId = 1

/** Why reading is paused: bits, as both may hold at once. */
const PAUSED_HELD = 1
const PAUSED_BYTES = 2

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
 *
 * While a request is pending (a `hello` whose password is being checked, a
 * shared engine's round trip), what arrives is still read: `ping`s are
 * answered and `pong`s taken at once, the rest is held, in order, until the
 * pending request settles (the peer's end of stream too). Only past a bound
 * of held bytes does reading pause, and a connection whose reading the
 * server paused is not timed out for its silence.
 */
export class Connection implements DuplexEvents {
  readonly id = nextConnectionId++
  /** Last time anything arrived (ms since epoch), for heartbeats. */
  lastSeen: number
  /** While the requests of a chunk are handled as it arrives, its time (ms since epoch); else 0. */
  arrivedAt = 0
  /** When it opened (ms since epoch), for the login deadline. */
  readonly openedAt: number
  /** Who it counts as for per-address limits: its IPv4 address or IPv6 /64 (`addressKey`). */
  readonly address: string
  /** Its token buckets (`rateLimits`). */
  readonly rates: ConnectionRates
  lastPingAt = 0
  pingCount = 0
  /** True once the server decided to end it: nothing more is routed to or from it. */
  closing = false
  endReason: EndReason = 'disconnected'
  /** The code of the error that ended it, if one did (`slow_consumer`, `heartbeat_timeout`, `malformed_frame`, ...). */
  closeCode: ErrorCode | undefined

  private readonly queue: FrameQueue
  private readonly frames: FrameDecoder
  private user: Session | undefined
  /** A request of it is pending: what arrives meanwhile is held. */
  private waiting = false
  /** Held while waiting, in order (pings and pongs excepted). */
  private held: DecodedBatch<ClientMessage> = []
  private heldBytes = 0
  /** A framing error that came while waiting: it ends the connection once the held requests are answered. */
  private heldFatal: ProtocolError | undefined
  /** The peer ended its side while waiting: seen once the held requests are answered. */
  private heldEnd = false
  /** PAUSED_* bits: why the server stopped reading it. */
  private pausedFor = 0
  private bytesTimer: NodeJS.Timeout | undefined
  private destroyTimer: NodeJS.Timeout | undefined
  /** Made on first use: most connections never need one. */
  private ending: AbortController | undefined
  private transportClosed = false
  /** The transport holds more than its mark: we wait for `onDrain`. */
  private transportFull = false

  constructor (
    private readonly duplex: Duplex,
    private readonly options: ResolvedServerOptions,
    private readonly events: ConnectionEvents,
    address = addressKey(duplex.remoteAddress),
    /** How it came: `tcp`, `tls`, `ws`, `wss`, or what the caller of `accept` said. */
    readonly transport = 'other'
  ) {
    const now = Date.now()
    this.lastSeen = this.openedAt = now
    this.address = address
    this.rates = new ConnectionRates(options.rateLimits, now)
    // Before login a frame is a hello, which is small: a client that has not said who it is gets little memory.
    this.frames = new FrameDecoder(Math.min(options.maxLoginFrameBytes, options.maxFrameBytes))
    // Routing pushes a whole batch in one synchronous run: the writer can go right after it.
    this.queue = new FrameQueue({ maxQueuedBytes: options.maxQueuedBytes, wake: afterThisRun, writer: () => { this.write() } })
    duplex.attach(this)
  }

  /** Set once logged in. */
  get session (): Session | undefined {
    return this.user
  }

  set session (session: Session | undefined) {
    this.user = session
    // Logged in: frames up to the server's limit from now on.
    if (session !== undefined) this.frames.maxFrameBytes = this.options.maxFrameBytes
  }

  /** A request of it is pending (before login, that is a `hello`). */
  get isWaiting (): boolean {
    return this.waiting
  }

  /** The server stopped reading it (held requests past their bound, or bytes far over its rate): its silence is not its own. */
  get readPaused (): boolean {
    return this.pausedFor !== 0
  }

  /** Bytes received and not yet handled: an incomplete frame, and requests held while one is pending. */
  get inboundBytes (): number {
    return this.frames.bufferedBytes + this.heldBytes
  }

  /** True once the transport has closed (and `onClose` was reported). */
  get isClosed (): boolean {
    return this.transportClosed
  }

  /** The peer's address, for logs. */
  get remoteAddress (): string {
    return this.duplex.remoteAddress
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

  /** A chunk from the peer: one batch, handled in order (or held while a request is pending). */
  onData (chunk: Uint8Array): void {
    const now = Date.now()
    this.lastSeen = now
    this.events.counters.bytesIn += chunk.byteLength
    if (this.closing || this.heldFatal !== undefined) return
    const bytesWaitMs = this.rates.received(chunk.byteLength, now)
    let decoded
    try {
      decoded = decodeClientChunkInPlace(this.frames, chunk)
    } catch (err) {
      this.internalError(err)
      return
    }
    const { batch, fatal } = decoded
    if (this.waiting) this.hold(batch, fatal, chunk.byteLength)
    else {
      // What the chunk holds is handled now, as it arrived: its messages are stamped with its time.
      this.arrivedAt = now
      this.run(batch, fatal)
      this.arrivedAt = 0
    }
    if (bytesWaitMs > 0 && !this.closing) this.pauseForBytes(bytesWaitMs)
  }

  /** Handles a batch; if a request of it is pending, what comes next is held until it settles. */
  private run (batch: DecodedBatch<ClientMessage>, fatal: ProtocolError | undefined): void {
    const pending = batch.length > 0 ? this.handleBatch(batch) : undefined
    if (pending === undefined) {
      if (fatal !== undefined) this.failOn(fatal)
      return
    }
    this.waiting = true
    this.heldFatal = fatal
    void pending.then(() => { this.release() })
  }

  /** While waiting: pings answered and pongs taken now (the peer must not seem dead), the rest kept in order. */
  private hold (batch: DecodedBatch<ClientMessage>, fatal: ProtocolError | undefined, bytes: number): void {
    for (const item of batch) {
      if (item instanceof ProtocolError || (item.type !== 'ping' && item.type !== 'pong')) this.held.push(item)
      else if (item.type === 'ping') this.send({ type: 'pong', n: item.n })
    }
    if (fatal !== undefined) this.heldFatal = fatal
    this.heldBytes += bytes
    // Held requests are memory the peer makes us keep: past a frame's worth (a small one before login), TCP holds the rest.
    if (this.heldBytes > this.frames.maxFrameBytes) this.pauseReading(PAUSED_HELD)
  }

  /** The pending request settled: the held requests go next, then reading resumes. */
  private release (): void {
    this.waiting = false
    const batch = this.held
    const fatal = this.heldFatal
    this.held = []
    this.heldBytes = 0
    this.heldFatal = undefined
    if (this.closing) return
    this.run(batch, fatal)
    if (this.waiting) return
    this.resumeReading(PAUSED_HELD)
    if (this.heldEnd) this.onEnd()
  }

  /** Far over its byte rate: not read for a while. */
  private pauseForBytes (ms: number): void {
    if ((this.pausedFor & PAUSED_BYTES) !== 0) return
    this.pauseReading(PAUSED_BYTES)
    this.bytesTimer = setTimeout(() => { this.resumeReading(PAUSED_BYTES) }, ms)
    this.bytesTimer.unref()
  }

  private pauseReading (reason: number): void {
    if (this.pausedFor === 0) this.duplex.pause()
    this.pausedFor |= reason
  }

  private resumeReading (reason: number): void {
    if ((this.pausedFor & reason) === 0) return
    this.pausedFor &= ~reason
    if (this.pausedFor !== 0 || this.closing) return
    // Its silence while we did not read was ours.
    this.lastSeen = Date.now()
    this.duplex.resume()
  }

  /** The peer ended its side: answer what it sent, flush what is queued, then close. */
  onEnd (): void {
    if (this.closing) return
    if (this.waiting) {
      this.heldEnd = true
      return
    }
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
    clearTimeout(this.bytesTimer)
    this.queue.clear()
    this.held = []
    this.events.onClose(this)
  }

  onDrain (): void {
    this.transportFull = false
    this.write()
  }

  /** Hands queued frames to the transport until it is full; they wait in our bounded queue meanwhile. */
  private write (): void {
    if (this.transportClosed || this.transportFull) return
    while (this.queue.hasFrames) {
      const chunk = this.queue.take()
      this.events.counters.bytesOut += chunk.byteLength
      if (!this.duplex.write(chunk)) {
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
    this.closeCode = code
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
