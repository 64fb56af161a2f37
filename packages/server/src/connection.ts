import { decodeClientMessage, decodeStage, encodeFrame, ErrorCodes, ProtocolError } from '@chat/protocol'
import type { ClientMessage, DecodedBatch, ErrorCode, ServerMessage } from '@chat/protocol'
import { FrameQueue } from '@chat/transport'
import type { Duplex } from '@chat/transport'
import { pipe } from 'it-pipe'
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

/**
 * One client on the server: its inbound pipeline (socket -> frames -> typed
 * messages, a batch per socket chunk) and its bounded outbound queue.
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
  /** Last time anything arrived (ms since epoch), for heartbeats. */
  lastSeen = Date.now()
  lastPingAt = 0
  pingCount = 0
  /** True once the server decided to end it: nothing more is routed to or from it. */
  closing = false
  endReason: EndReason = 'disconnected'

  private readonly queue: FrameQueue
  private destroyTimer: NodeJS.Timeout | undefined
  private readonly ending = new AbortController()

  constructor (
    private readonly duplex: Duplex,
    private readonly options: ResolvedServerOptions,
    private readonly events: ConnectionEvents
  ) {
    // Routing pushes a whole batch in one synchronous run: the writer can go right after it.
    this.queue = new FrameQueue({ maxQueuedBytes: options.maxQueuedBytes, wake: 'microtask' })
  }

  /** Aborted once the connection is ending: work done on its behalf (a login delay) can stop. */
  get closed (): AbortSignal {
    return this.ending.signal
  }

  get remoteAddress (): string {
    return this.duplex.remoteAddress
  }

  /** The peer's address without the port, for throttling by address. */
  get remoteHost (): string {
    return this.duplex.remoteAddress.replace(/:\d+$/, '')
  }

  /** Outbound bytes waiting in our queue (the transport takes more only as its socket drains). */
  get queuedFrameBytes (): number {
    return this.queue.bytes
  }

  /** Outbound bytes waiting, in our queue and the transport's. */
  get queuedBytes (): number {
    return this.queue.bytes + this.duplex.writableLength
  }

  /** Runs both directions until the transport has closed. */
  async run (): Promise<void> {
    const writing = this.duplex.sink(this.queue).catch(() => {})
    try {
      await pipe(
        this.duplex.source,
        decodeStage(decodeClientMessage, {
          maxFrameBytes: this.options.maxFrameBytes,
          onChunk: () => { this.lastSeen = Date.now() }
        }),
        async batches => {
          for await (const batch of batches) {
            if (this.closing) continue
            const pending = this.handleBatch(batch)
            if (pending !== undefined) await pending
          }
        }
      )
    } catch (err) {
      if (err instanceof ProtocolError) this.fail(err.code, err.message)
      else this.fail(ErrorCodes.MALFORMED_FRAME, 'unreadable input')
    }
    // The peer ended its side (or we did): flush what is queued, then close.
    this.end()
    await writing
    await this.duplex.closed
    clearTimeout(this.destroyTimer)
    this.events.onClose(this)
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
    this.ending.abort()
    this.queue.end(last === undefined ? undefined : encodeFrame(last, this.options.maxFrameBytes))
    this.destroyTimer ??= setTimeout(() => { this.duplex.destroy() }, this.options.closeTimeoutMs)
    this.destroyTimer.unref()
  }

  /** Cuts the transport now. */
  destroy (): void {
    this.closing = true
    this.ending.abort()
    this.queue.clear()
    this.duplex.destroy()
  }
}
