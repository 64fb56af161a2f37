import { encodeFrame, ErrorCodes, isValidUsername } from '@chat/protocol'
import type { HistoryRequest, ReplayRequest } from '@chat/protocol'
import type { Connection } from './connection.js'
import { encodeFittingReply } from './list-reply.js'
import type { OnlineUsers } from './online-users.js'
import type { ResolvedServerOptions } from './options.js'
import { conversationStream, roomStream } from './store/store.js'
import type { Store, StoredMessage, StreamKey } from './store/store.js'
import { toChatMessage } from './stored-message.js'

export const DEFAULT_HISTORY_LIMIT = 50
export const MAX_HISTORY_LIMIT = 500
/** Stored messages read per step of a replay. */
const REPLAY_PAGE = 256

/**
 * Reading stored messages: pages of history, and replays that hand a client
 * over from stored to live messages with no gap and no duplicate.
 */
export class HistoryHandler {
  constructor (
    private readonly options: ResolvedServerOptions,
    private readonly store: Store,
    private readonly users: OnlineUsers
  ) {}

  history (connection: Connection, request: HistoryRequest): void {
    const stream = this.streamFor(connection, request)
    if (stream === undefined) return
    const limit = Math.min(Math.max(request.limit ?? DEFAULT_HISTORY_LIMIT, 1), MAX_HISTORY_LIMIT)
    const floor = stream === null ? 0 : this.store.floor(stream)
    if (request.after !== undefined && request.after < floor) {
      connection.refuse(request.req, ErrorCodes.HISTORY_GONE, `messages after ${request.after} were removed; the oldest kept is ${floor + 1}`)
      return
    }
    const forward = request.after !== undefined
    // One more than asked tells whether there are more.
    let rows: StoredMessage[] = []
    if (stream !== null) {
      rows = forward
        ? this.store.readAfter(stream, request.after!, limit + 1)
        : this.store.readBefore(stream, request.before, limit + 1)
    }
    const more = rows.length > limit
    if (more) rows = forward ? rows.slice(0, limit) : rows.slice(1)
    const gone = !forward && !more && floor > 0
    connection.sendFrame(encodeFittingReply(rows.length, this.options.maxFrameBytes, count => {
      // Cut to fit: keep the end nearest the cursor, so the next page continues from it.
      const page = count === rows.length ? rows : forward ? rows.slice(0, count) : rows.slice(rows.length - count)
      const reply = { type: 'history_page' as const, re: request.req, messages: page.map(m => toChatMessage(m)), more: more || count < rows.length }
      return gone && count === rows.length ? { ...reply, gone } : reply
    }))
  }

  replay (connection: Connection, request: ReplayRequest): void {
    if (!connection.rooms.has(request.room)) {
      connection.refuse(request.req, ErrorCodes.NOT_MEMBER, `join ${request.room} before replaying it`)
      return
    }
    const stream = roomStream(request.room)
    if (!this.checkFloor(connection, request, stream, request.after)) return
    this.runReplay(connection, request, stream).catch(err => {
      this.options.logger.warn(`replay of ${request.room} for ${connection.username ?? '?'} failed: ${String(err)}`)
      connection.refuse(request.req, ErrorCodes.STORAGE_ERROR, 'the replay failed')
    })
  }

  /**
   * Sends stored messages after `after`, a page at a time, waiting for the
   * client to take each before reading the next (a replay never fills the
   * queue). Reaching the newest stored message and sending `replay_done`
   * happen in one synchronous step: every message committed later is fanned
   * out live, behind `replay_done`, to this member too.
   */
  private async runReplay (connection: Connection, request: ReplayRequest, stream: StreamKey): Promise<void> {
    const pauseAt = Math.floor(this.options.maxQueuedBytes / 4)
    let cursor = request.after
    while (!connection.closing) {
      if (!this.checkFloor(connection, request, stream, cursor)) return
      const page = this.store.readAfter(stream, cursor, REPLAY_PAGE)
      let sent = 0
      // Our queue only: the socket's buffer empties only as the client reads, and drained() waits for our queue.
      while (sent < page.length && connection.queuedFrameBytes < pauseAt) {
        connection.sendFrame(encodeFrame(toChatMessage(page[sent], request.req), this.options.maxFrameBytes))
        cursor = page[sent].id
        sent++
      }
      if (sent === page.length && page.length < REPLAY_PAGE) {
        // A `since` beyond the newest stored id (a client that knew a lost future) hands over at the real newest.
        const lastId = Math.min(cursor, this.store.lastId(stream))
        connection.send({ type: 'replay_done', re: request.req, room: request.room, lastId })
        return
      }
      await connection.drained()
    }
  }

  /** Retention may have removed what the client asks for: say so rather than skip it. */
  private checkFloor (connection: Connection, request: ReplayRequest, stream: StreamKey, after: number): boolean {
    const floor = this.store.floor(stream)
    if (after >= floor) return true
    connection.refuse(request.req, ErrorCodes.HISTORY_GONE, `messages after ${after} were removed; the oldest kept is ${floor + 1}`)
    return false
  }

  /** The stream a history request may read; null for a conversation that can't exist; undefined after refusing. */
  private streamFor (connection: Connection, request: HistoryRequest): StreamKey | null | undefined {
    if ((request.room === undefined) === (request.with === undefined)) {
      connection.refuse(request.req, ErrorCodes.INVALID_MESSAGE, 'history needs exactly one of "room" and "with"')
      return undefined
    }
    if (request.room !== undefined) {
      if (!connection.rooms.has(request.room)) {
        connection.refuse(request.req, ErrorCodes.NOT_MEMBER, `only members of ${request.room} may read its history`)
        return undefined
      }
      return roomStream(request.room)
    }
    const other = request.with!
    if (!isValidUsername(other)) {
      connection.refuse(request.req, ErrorCodes.INVALID_NAME, `${JSON.stringify(other.slice(0, 40))} is not a valid username`)
      return undefined
    }
    const otherIdentity = this.identityOf(other.toLowerCase())
    return otherIdentity === undefined ? null : conversationStream(connection.identity!, otherIdentity)
  }

  /** A registered user's identity is their key; a guest's exists only while they are online. */
  identityOf (userKey: string): string | undefined {
    const online = this.users.get(userKey)
    if (online !== undefined) return online.identity
    return this.store.getAccount(userKey) === undefined ? undefined : userKey
  }
}
