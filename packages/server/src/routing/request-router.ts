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

export interface RequestHandlers {
  login: LoginHandler
  rooms: RoomHandler
  direct: DirectHandler
  history: HistoryHandler
}

/**
 * Routes each decoded message of a connection to the handler of its type,
 * in order. A handler that must wait (a password check, a shared engine's
 * round trip) returns a promise: the rest of the batch, and the
 * connection's reading, wait for it, so requests are answered in order.
 * A request whose read or write of the store fails is answered
 * `storage_error`, and the connection carries on. A request over one of
 * the connection's rates is answered `rate_limited` (`ConnectionRates`).
 */
export class RequestRouter {
  constructor (
    private readonly handlers: RequestHandlers,
    private readonly logger: FullLogger,
    private readonly counters: LimitCounters
  ) {}

  handleBatch (connection: Connection, batch: DecodedBatch<ClientMessage>, start = 0): Promise<void> | undefined {
    for (let i = start; i < batch.length; i++) {
      if (connection.closing) return
      const item = batch[i]
      if (item instanceof ProtocolError) {
        connection.refuse(item.req, item.code, item.message)
        continue
      }
      const pending = this.handleOrRefuse(connection, item)
      if (pending !== undefined) return pending.then(() => this.handleBatch(connection, batch, i + 1))
    }
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
    }
    const session = connection.session
    if (session === undefined) {
      connection.refuse(message.req, ErrorCodes.NOT_LOGGED_IN, 'send "hello" first')
      return
    }
    const { rooms, direct, history } = this.handlers
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
    }
  }

  /** True if the request may go on (`waitMs` 0); else false, once it is refused with `rate_limited`. */
  private allowed (connection: Connection, req: number, waitMs: number, what: string): boolean {
    if (waitMs === 0) return true
    this.counters.rateLimited++
    connection.send({ type: 'error', re: req, code: ErrorCodes.RATE_LIMITED, message: `too many ${what}: wait ${waitMs} ms`, retryAfterMs: waitMs })
    return false
  }
}
