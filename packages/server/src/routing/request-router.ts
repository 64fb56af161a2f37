import { ErrorCodes, ProtocolError } from '@chat/protocol'
import type { ClientMessage, DecodedBatch } from '@chat/protocol'
import type { Connection } from '../connection/connection.js'
import type { LimitCounters } from '../limits/limit-counters.js'
import type { FullLogger } from '../logger.js'
import { isStorageError } from '../store/store-error.js'
import type { DirectHandler } from '../direct/direct-handler.js'
import type { HistoryHandler } from '../history/history-handler.js'
import type { RoomHandler } from '../rooms/room-handler.js'
import type { LoginHandler } from '../session/login-handler.js'
import type { MarkerHandler } from '../markers/marker-handler.js'
import type { TypingHandler } from '../typing/typing-handler.js'
import type { FairScheduler } from './fair-scheduler.js'

export interface RequestHandlers {
  login: LoginHandler
  rooms: RoomHandler
  direct: DirectHandler
  history: HistoryHandler
  /** Unset while typing indicators are off: `typing` is then an unknown type, as on a server that predates it. */
  typing: TypingHandler | undefined
  /** Unset while read markers are off: `read` and `unread` likewise. */
  markers: MarkerHandler | undefined
}

/** A run of a connection's requests yields to other connections after this long (ms). */
const SLICE_MS = 2

/** Requests whose answer can be big (a page of stored messages, a list): answered in the connection's turns. */
function isHeavy (message: ClientMessage): boolean {
  const type = message.type
  return type === 'history' || type === 'replay' || type === 'rooms' || type === 'members'
}

export interface RouterLimits {
  /** A connection's next heavy request waits while this many replays (and inbox deliveries) of it run. */
  maxPendingRequests: number
  /** ... and while more than this many bytes are queued for it (its last answers not yet taken). */
  pauseAt: number
}

/**
 * Routes each decoded message of a connection to the handler of its type,
 * in order. A handler that must wait (a password check, a shared engine's
 * round trip) returns a promise: the rest of the batch, and the
 * connection's reading, wait for it, so requests are answered in order.
 * A request whose read or write of the store fails is answered
 * `storage_error`, and the connection carries on.
 *
 * Fairly: a batch is handled where it arrived up to its first heavy
 * request (history, replay, rooms, members; the cheap ones before it, all
 * of one chunk, in one run, so a chunk of sends is still one commit); the
 * rest goes on in the connection's turns of the `FairScheduler`, each turn
 * for at most `SLICE_MS`, the connection not read meanwhile. A heavy request
 * waits (backpressure, not an error) while the connection has
 * `maxPendingRequests` replays running, while its queue holds more than
 * `pauseAt` bytes, and, for a history page, for a token of its page rate.
 */
export class RequestRouter {
  constructor (
    private readonly handlers: RequestHandlers,
    private readonly logger: FullLogger,
    private readonly counters: LimitCounters,
    private readonly scheduler: FairScheduler,
    private readonly limits: RouterLimits
  ) {}

  /** Handles `batch` from `start`; `inTurn`: called in the connection's turn of the scheduler (heavy requests may run). */
  handleBatch (connection: Connection, batch: DecodedBatch<ClientMessage>, start = 0, inTurn = false): Promise<void> | undefined {
    const began = inTurn ? performance.now() : 0
    for (let i = start; i < batch.length; i++) {
      if (connection.closing) return
      const item = batch[i]
      if (item instanceof ProtocolError) {
        connection.refuse(item.req, item.code, item.message)
        continue
      }
      if (inTurn && i > start && performance.now() - began > SLICE_MS) return this.later(connection, batch, i)
      if (isHeavy(item)) {
        if (!inTurn) return this.later(connection, batch, i)
        const wait = this.admit(connection, item)
        if (wait !== undefined) return this.later(connection, batch, i, wait)
      }
      const pending = this.handleOrRefuse(connection, item)
      if (pending !== undefined) return this.later(connection, batch, i + 1, pending)
    }
  }

  /** Goes on with `batch` from `from` in the connection's next turn (after `after`, if given). */
  private async later (connection: Connection, batch: DecodedBatch<ClientMessage>, from: number, after?: Promise<unknown>): Promise<void> {
    if (after !== undefined) await after
    let rest: Promise<void> | undefined
    await this.scheduler.run(connection, () => {
      rest = this.handleBatch(connection, batch, from, true)
      return true
    })
    await rest
  }

  /** Undefined if a heavy request may run now; else what it waits for first. */
  private admit (connection: Connection, message: ClientMessage): Promise<unknown> | undefined {
    // Its previous answers first: a pipelined flood of pages must not fill the queue (slow_consumer) by itself.
    if (connection.queuedFrameBytes > this.limits.pauseAt) return connection.drained()
    const lane = this.scheduler.lane(connection)
    if (lane.pending >= this.limits.maxPendingRequests) return lane.below(this.limits.maxPendingRequests)
    // A replay pays per page, as it reads them.
    if (message.type === 'history' && connection.session !== undefined) return lane.takePage()
  }

  /** `handle`, with a failure of the store (now or later) made the request's `storage_error`; any other failure goes on up. */
  private handleOrRefuse (connection: Connection, message: ClientMessage): Promise<void> | undefined {
    try {
      return this.handle(connection, message)?.catch(err => { this.storageFailed(connection, message, err) })
    } catch (err) {
      this.storageFailed(connection, message, err)
    }
  }

  private storageFailed (connection: Connection, message: ClientMessage, err: unknown): void {
    if (!isStorageError(err)) throw err
    // Loud: a damaged file or a full disk needs an operator, and every request that touches it fails alike.
    this.logger.error(`${message.type} from ${connection.name} (${connection.remoteAddress}) refused: ${err.message}`)
    connection.refuse('req' in message ? message.req : undefined, ErrorCodes.STORAGE_ERROR, 'the server could not read or write its store; try again later')
  }

  private handle (connection: Connection, message: ClientMessage): void | Promise<void> {
    switch (message.type) {
      case 'ping': connection.send({ type: 'pong', n: message.n }); return
      case 'pong': return
      case 'bye':
        connection.endReason = 'quit'
        connection.end({ type: 'bye' })
        return
      case 'hello': return this.handlers.login.login(connection, message)
      // Turned off: answered as the decoder answers a type it does not know, before anything else (logged in or not).
      case 'typing':
        if (this.handlers.typing === undefined) return this.unknownType(connection, message)
        break
      case 'read': case 'unread':
        if (this.handlers.markers === undefined) return this.unknownType(connection, message)
        break
    }
    const session = connection.session
    if (session === undefined) {
      connection.refuse(message.req, ErrorCodes.NOT_LOGGED_IN, 'send "hello" first')
      return
    }
    const { rooms, direct, history, typing, markers } = this.handlers
    const { rates } = connection
    switch (message.type) {
      case 'send': return this.allowed(connection, message.req, rates.message(connection.lastSeen), 'messages') ? rooms.send(session, message) : undefined
      case 'join': return rooms.join(session, message)
      case 'leave': return rooms.leave(session, message)
      case 'rooms': return this.allowed(connection, message.req, rates.request(connection.lastSeen), 'requests') ? rooms.rooms(session, message) : undefined
      case 'members': return this.allowed(connection, message.req, rates.request(connection.lastSeen), 'requests') ? rooms.members(session, message) : undefined
      case 'dm': return this.allowed(connection, message.req, rates.message(connection.lastSeen), 'messages') ? direct.send(session, message) : undefined
      case 'history': return this.allowed(connection, message.req, rates.request(connection.lastSeen), 'requests') ? history.history(session, message) : undefined
      case 'replay': return this.allowed(connection, message.req, rates.request(connection.lastSeen), 'requests') ? history.replay(session, message) : undefined
      // Not rate-limited: answered cheaply, and fanned out at most once a second whatever comes.
      case 'typing': return typing!.typing(session, message)
      case 'read': return this.allowed(connection, message.req, rates.request(connection.lastSeen), 'requests') ? markers!.read(session, message) : undefined
      case 'unread': return this.allowed(connection, message.req, rates.request(connection.lastSeen), 'requests') ? markers!.unread(session, message) : undefined
    }
  }

  /** What the decoder says of a type it does not know (`validate.ts`), with the request's id. */
  private unknownType (connection: Connection, message: ClientMessage & { req: number }): void {
    connection.refuse(message.req, ErrorCodes.UNKNOWN_TYPE, `unknown message type "${message.type}"`)
  }

  /** True if the request may go on (`waitMs` 0); else false, once it is refused with `rate_limited`. */
  private allowed (connection: Connection, req: number, waitMs: number, what: string): boolean {
    if (waitMs === 0) return true
    this.counters.rateLimited++
    connection.send({ type: 'error', re: req, code: ErrorCodes.RATE_LIMITED, message: `too many ${what}: wait ${waitMs} ms`, retryAfterMs: waitMs })
    return false
  }
}
