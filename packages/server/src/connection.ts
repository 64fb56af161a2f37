import type { Socket } from 'node:net'
import { decodeClientMessage, encodeFrame, ErrorCodes, FrameDecoder, ProtocolError } from '@chat/protocol'
import { decodeChunk } from '@chat/protocol/fast'
import type { ClientMessage, DecodedBatch, ErrorCode, ServerMessage } from '@chat/protocol'
import { FrameQueue } from '@chat/transport'
import type { ResolvedServerOptions } from './options.js'

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

/** Direct messages a connection remembers, at most, for a resume (see `recentDirect`). */
const MAX_RECENT_DIRECT = 256

/** Socket errors (a reset peer) are an end of the connection, seen through 'close'. */
function ignore (): void {}

/**
 * One client on the server: its socket, read chunk by chunk (each chunk
 * framed and decoded into one batch, synchronously), and its bounded
 * outbound queue, written as the socket takes it.
 *
 * Callbacks rather than the async-iterator pipeline the client uses: a server
 * holds many idle connections, and a suspended pipeline (socket iterator,
 * decoding stage, reading loop, writing loop) kept a dozen promises and
 * generator frames alive for each, several KiB apiece. Here an idle
 * connection is the socket, this object, its decoder and its queue.
 */
export class Connection {
  readonly id = nextConnectionId++
  /** Set once logged in. */
  username: string | undefined
  /** Lower-cased username, the key it is unique under. */
  userKey: string | undefined
  /** Logged in to a registered account (not a guest name). */
  registered = false
  /**
   * Who this user is in stored direct conversations: the user key for a
   * registered account; for a guest, a key of this session only, so a later
   * guest with the same name can't read its direct messages.
   */
  identity: string | undefined
  /** Token a reconnecting client presents (`hello.resume`) to replace this connection. */
  session: string | undefined
  /** Its offline inbox is being delivered: new direct messages join the inbox, to keep their order. */
  drainingInbox = false
  /** Rooms this connection is a member of. */
  readonly rooms = new Set<string>()
  /** Direct messages to send again right after the welcome, taken from the connection this one replaced. */
  resentDirect: Uint8Array[] | undefined
  /** Last time anything arrived (ms since epoch), for heartbeats. */
  lastSeen = Date.now()
  lastPingAt = 0
  pingCount = 0
  /** True once the server decided to end it: nothing more is routed to or from it. */
  closing = false
  endReason: EndReason = 'disconnected'
  readonly remoteAddress: string

  private readonly queue: FrameQueue
  private readonly frames: FrameDecoder
  private destroyTimer: NodeJS.Timeout | undefined
  /** Made on first use: most connections never need one. */
  private ending: AbortController | undefined
  /**
   * Direct messages handed to this connection lately, oldest first (made on
   * the first one): if the session resumes on a new connection, they are
   * sent again there, since this one may have been dead already.
   */
  private recentDirect: Array<{ at: number, frame: Uint8Array }> | undefined
  /** A batch's handling is pending (a login): the socket is paused until it settles. */
  private handling = false
  private socketClosed = false
  /** The socket's own buffer is past its mark: we wait for 'drain'. */
  private socketFull = false

  constructor (
    private readonly socket: Socket,
    private readonly options: ResolvedServerOptions,
    private readonly events: ConnectionEvents
  ) {
    this.remoteAddress = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`
    this.frames = new FrameDecoder(options.maxFrameBytes)
    // Routing pushes a whole batch in one synchronous run: the writer can go right after it.
    this.queue = new FrameQueue({ maxQueuedBytes: options.maxQueuedBytes, wake: 'microtask', writer: this.write })
    socket.setNoDelay(true)
    socket.on('error', ignore)
    socket.on('data', this.read)
    socket.on('end', this.peerEnded)
    socket.on('drain', this.onDrain)
    socket.on('close', this.closed)
  }

  /** Aborted once the connection is ending: work done on its behalf (a login delay) can stop. */
  get signal (): AbortSignal {
    if (this.ending === undefined) {
      this.ending = new AbortController()
      if (this.closing) this.ending.abort()
    }
    return this.ending.signal
  }

  /** The peer's address without the port, for throttling by address. */
  get remoteHost (): string {
    return this.remoteAddress.replace(/:\d+$/, '')
  }

  /** Outbound bytes waiting in our queue (the socket takes more only as it drains). */
  get queuedFrameBytes (): number {
    return this.queue.bytes
  }

  /** Outbound bytes waiting, in our queue and the socket's. */
  get queuedBytes (): number {
    return this.queue.bytes + this.socket.writableLength
  }

  /** A chunk from the peer: one batch, handled in order; a pending login pauses reading. */
  private readonly read = (chunk: Buffer): void => {
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
      if (fatal !== undefined) this.fail(fatal.code, fatal.message)
      return
    }
    this.handling = true
    this.socket.pause()
    void pending.then(() => {
      this.handling = false
      if (fatal !== undefined) this.fail(fatal.code, fatal.message)
      this.socket.resume()
    })
  }

  /** The peer ended its side: answer what it sent, flush what is queued, then close. */
  private readonly peerEnded = (): void => {
    if (this.closing) return
    try {
      this.frames.end()
    } catch (err) {
      // It stopped in the middle of a frame.
      if (err instanceof ProtocolError) this.fail(err.code, err.message)
    }
    this.end()
  }

  private readonly closed = (): void => {
    if (this.socketClosed) return
    this.socketClosed = true
    // A vanished peer: whatever it sent before is answered (to no one), its messages committed.
    if (!this.closing) this.end()
    clearTimeout(this.destroyTimer)
    this.queue.clear()
    this.events.onClose(this)
  }

  /** Hands queued frames to the socket until it is full; they wait in our bounded queue meanwhile. */
  private readonly write = (): void => {
    if (this.socketClosed || this.socketFull) return
    while (this.queue.hasFrames) {
      if (!this.socket.write(this.queue.take())) {
        this.socketFull = true
        return
      }
    }
    if (this.queue.isEnded && !this.socket.writableEnded) this.socket.end()
  }

  private readonly onDrain = (): void => {
    this.socketFull = false
    this.write()
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
    this.options.logger.warn(`internal error on connection ${this.id} (${this.username ?? 'anonymous'}): ${(err as Error).stack ?? String(err)}`)
    this.fail(ErrorCodes.INTERNAL_ERROR, 'the server failed to handle a request')
  }

  /** Resolves once everything queued so far has been handed to the socket. */
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

  /** Queues a direct message, and remembers it for a while (see `recentDirect`). */
  sendDirect (frame: Uint8Array): void {
    if (this.closing) return
    const now = Date.now()
    const recent = this.recentDirect ??= []
    // A connection silent for heartbeatTimeoutMs is dropped: what was handed before that is no
    // longer in question. The count is bounded too (clients drop what they had by id).
    const horizon = now - this.options.heartbeatTimeoutMs - this.options.heartbeatIntervalMs
    let stale = 0
    while (stale < recent.length && (recent[stale].at < horizon || recent.length - stale >= MAX_RECENT_DIRECT)) stale++
    if (stale > 0) recent.splice(0, stale)
    recent.push({ at: now, frame })
    this.sendFrame(frame)
  }

  /** The direct messages handed to this connection lately, in order (for the connection resuming its session). */
  takeRecentDirect (): Uint8Array[] {
    const frames = this.recentDirect?.map(entry => entry.frame) ?? []
    this.recentDirect = undefined
    return frames
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
    // What arrives from now on is dropped; a paused socket would never see the peer's close.
    this.socket.resume()
    this.queue.end(last === undefined ? undefined : encodeFrame(last, this.options.maxFrameBytes))
    if (this.socketClosed) return
    this.destroyTimer ??= setTimeout(() => { this.socket.destroy() }, this.options.closeTimeoutMs)
    this.destroyTimer.unref()
  }

  /** Cuts the socket now. */
  destroy (): void {
    this.closing = true
    this.ending?.abort()
    this.queue.clear()
    this.socket.destroy()
  }
}
