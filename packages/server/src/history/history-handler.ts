import { encodeFrame, ErrorCodes, isValidRoomName, isValidUsername } from '@chat/protocol'
import type { HistoryRequest, ReplayRequest } from '@chat/protocol'
import { andThen } from '../maybe-promise.js'
import type { MaybePromise } from '../maybe-promise.js'
import type { Engine } from '../engine/engine.js'
import type { ResolvedServerOptions } from '../options.js'
import type { RoomRegistry } from '../rooms/room-registry.js'
import type { FairScheduler } from '../routing/fair-scheduler.js'
import { encodeFittingReply } from '../routing/list-reply.js'
import type { Session } from '../session/session.js'
import { conversationWith } from '../direct/conversation.js'
import { roomStream } from '../store/store.js'
import type { Store, StoredMessage, StreamKey } from '../store/store.js'
import { drainPages } from './paged-drain.js'
import { ReplayHold } from './replay-hold.js'
import { toChatMessage } from './stored-message.js'

const DEFAULT_HISTORY_LIMIT = 50
const MAX_HISTORY_LIMIT = 500
/** Stored messages read per step of a replay, at most... */
const REPLAY_PAGE = 256
/** ... and about this many bytes of them (judged by the step before). */
const REPLAY_STEP_BYTES = 128 * 1024
/** A replay's first step, before the size of its messages is known. */
const FIRST_REPLAY_PAGE = 32
/** Messages a history page reads first; then as many as the rest of a frame could take. */
const FIRST_HISTORY_READ = 32

/** No encoding of a stored message is shorter (its text and name as at least a byte a character, and its JSON's fixed part). */
function leastFrameBytes (m: StoredMessage): number {
  return m.text.length + m.from.length + 40
}

/** How many of `rows`, from the cursor's end (the first going forwards, the last going backwards), could fit in a frame at most. */
function mostThatFit (rows: StoredMessage[], forward: boolean, maxFrameBytes: number): number {
  let bytes = 0
  for (let n = 0; n < rows.length; n++) {
    bytes += leastFrameBytes(rows[forward ? n : rows.length - 1 - n])
    if (bytes > maxFrameBytes) return n
  }
  return rows.length
}

/** A history page's messages, as read: `full` if the read stopped at a frame's worth. */
interface PageRead {
  rows: StoredMessage[]
  full: boolean
}

/** The next replay page's size: about `REPLAY_STEP_BYTES` of messages the size of this page's. */
function nextPageSize (page: StoredMessage[]): number {
  if (page.length === 0) return REPLAY_PAGE
  let bytes = 0
  for (const m of page) bytes += leastFrameBytes(m)
  return Math.max(1, Math.min(REPLAY_PAGE, Math.floor(REPLAY_STEP_BYTES * page.length / bytes)))
}

/**
 * Reading stored messages: pages of history, and replays that hand a client
 * over from stored to live messages with no gap and no duplicate.
 */
export class HistoryHandler {
  constructor (
    private readonly options: ResolvedServerOptions,
    private readonly store: Store,
    private readonly engine: Engine,
    /** This server's rooms: a replay holds its room's live messages to its member while the store answers. */
    private readonly rooms: RoomRegistry,
    /** Replay pages are read in the connection's turns, at its page rate. */
    private readonly scheduler: FairScheduler
  ) {}

  history (session: Session, request: HistoryRequest): void | Promise<void> {
    return andThen(this.streamFor(session, request), stream => {
      const limit = Math.min(Math.max(request.limit ?? DEFAULT_HISTORY_LIMIT, 1), MAX_HISTORY_LIMIT)
      if (stream === null) return this.sendPage(session, request, limit, 0, { rows: [], full: false })
      if (stream === undefined) return
      // One more than asked tells whether there are more; no more than a frame can carry.
      return andThen(this.readPage(stream, request, limit + 1), read =>
        // The floor after the page: a prune between the two reads can't hide a gap in it.
        andThen(this.store.floor(stream), floor => { this.sendPage(session, request, limit, floor, read) }))
    })
  }

  private sendPage (session: Session, request: HistoryRequest, limit: number, floor: number, read: PageRead): void {
    if (request.after !== undefined && request.after < floor) {
      session.connection.refuse(request.req, ErrorCodes.HISTORY_GONE, `messages after ${request.after} were removed; the oldest kept is ${floor + 1}`)
      return
    }
    const forward = request.after !== undefined
    let rows = read.rows
    const more = rows.length > limit || read.full
    if (rows.length > limit) rows = forward ? rows.slice(0, limit) : rows.slice(1)
    const gone = !forward && !more && floor > 0
    session.send(encodeFittingReply(mostThatFit(rows, forward, this.options.maxFrameBytes), this.options.maxFrameBytes, count => {
      // Cut to fit: keep the end nearest the cursor, so the next page continues from it.
      const page = count === rows.length ? rows : forward ? rows.slice(0, count) : rows.slice(rows.length - count)
      const reply = { type: 'history_page' as const, re: request.req, messages: page.map(m => toChatMessage(m)), more: more || count < rows.length }
      return gone && count === rows.length ? { ...reply, gone } : reply
    }))
  }

  /**
   * Up to `want` messages from the cursor (oldest first), read a few at a
   * time and no further than what fills a frame: a page of 500 messages of
   * 16 KB is cut to four anyway, and reading (and encoding) the other 496
   * would hold the server for tens of milliseconds. `full`: the read
   * stopped there, so the page will be cut.
   */
  private readPage (stream: StreamKey, request: HistoryRequest, want: number): MaybePromise<PageRead> {
    const forward = request.after !== undefined
    let rows: StoredMessage[] = []
    let bytes = 0
    let chunk = Math.min(want, FIRST_HISTORY_READ)
    const readOn = (): MaybePromise<PageRead> => andThen(forward
      ? this.store.readAfter(stream, rows.length === 0 ? request.after! : rows[rows.length - 1].id, chunk)
      : this.store.readBefore(stream, rows.length === 0 ? request.before : rows[0].id, chunk), next => {
      rows = forward ? rows.concat(next) : next.concat(rows)
      for (const m of next) bytes += leastFrameBytes(m)
      if (next.length < chunk || rows.length >= want) return { rows, full: false }
      if (bytes > this.options.maxFrameBytes) return { rows, full: true }
      // As many as the rest of a frame could take at the size seen so far, and one more.
      const average = bytes / rows.length
      chunk = Math.min(want - rows.length, Math.max(FIRST_HISTORY_READ, Math.ceil((this.options.maxFrameBytes - bytes) / average) + 1))
      return readOn()
    })
    return readOn()
  }

  replay (session: Session, request: ReplayRequest): void | Promise<void> {
    if (!this.checkRoomName(session, request.req, request.room)) return
    if (!session.rooms.has(request.room)) {
      session.connection.refuse(request.req, ErrorCodes.NOT_MEMBER, `join ${request.room} before replaying it`)
      return
    }
    const stream = roomStream(request.room)
    return andThen(this.store.floor(stream), floor => {
      if (!this.checkFloor(session, request, floor, request.after)) return
      this.runReplay(session, request, stream).catch(err => {
        this.options.logger.error(`replay of ${request.room} for ${session.username} failed, refused with storage_error: ${String(err)}`)
        session.connection.refuse(request.req, ErrorCodes.STORAGE_ERROR, 'the replay failed')
      })
    })
  }

  /**
   * Sends stored messages after `after`, a page at a time as the client
   * takes them. Reaching the newest stored message and sending
   * `replay_done` happen in one synchronous step: every message committed
   * later is fanned out live, behind `replay_done`, to this member too.
   * With a store that answers later, the member's live messages of the room
   * are held while each read is on its way (`ReplayHold`).
   */
  private async runReplay (session: Session, request: ReplayRequest, stream: StreamKey): Promise<void> {
    let cursor = request.after
    let pageSize = FIRST_REPLAY_PAGE
    const hold = new ReplayHold(this.rooms.get(request.room), session, this.options.maxFrameBytes)
    try {
      await drainPages<StoredMessage>(session.connection, Math.floor(this.options.maxQueuedBytes / 4), {
        read: () => {
          const page = andThen(this.store.readAfter(stream, cursor, pageSize), page =>
            // The floor after the page: a prune between the two reads can't hide a gap in it.
            andThen(this.store.floor(stream), floor => this.checkFloor(session, request, floor, cursor) ? page : undefined))
          if (page instanceof Promise) hold.start()
          return page
        },
        send: message => {
          session.send(encodeFrame(toChatMessage(message, request.req), this.options.maxFrameBytes))
          cursor = message.id
        },
        sent: (page, sent) => {
          if (sent < page.length || page.length === pageSize) {
            // A step's worth of bytes next time: big messages make short pages.
            pageSize = nextPageSize(page)
            // What was held is stored: the next read brings it again (and the client drops it live until replay_done).
            hold.release()
            return false
          }
          const newest = this.store.lastId(stream)
          if (newest instanceof Promise) hold.start()
          return andThen(newest, lastId => {
            // A `since` beyond the newest stored id (a client that knew a lost future) hands over at the real newest.
            session.connection.send({ type: 'replay_done', re: request.req, room: request.room, lastId: Math.min(cursor, lastId) })
            hold.release()
            return true
          })
        }
      }, { scheduler: this.scheduler, paced: true })
    } finally {
      hold.release()
    }
  }

  /** A bad name is refused as one, before membership (which it could never have). */
  private checkRoomName (session: Session, req: number, room: string): boolean {
    if (isValidRoomName(room)) return true
    session.connection.refuse(req, ErrorCodes.INVALID_NAME, `${JSON.stringify(room.slice(0, 70))} is not a valid room name`)
    return false
  }

  /** Retention may have removed what the client asks for: say so rather than skip it. */
  private checkFloor (session: Session, request: ReplayRequest, floor: number, after: number): boolean {
    if (after >= floor) return true
    session.connection.refuse(request.req, ErrorCodes.HISTORY_GONE, `messages after ${after} were removed; the oldest kept is ${floor + 1}`)
    return false
  }

  /** The stream a history request may read; null for a conversation that can't exist; undefined after refusing. */
  private streamFor (session: Session, request: HistoryRequest): StreamKey | null | undefined | Promise<StreamKey | null> {
    if ((request.room === undefined) === (request.with === undefined)) {
      session.connection.refuse(request.req, ErrorCodes.INVALID_MESSAGE, 'history needs exactly one of "room" and "with"')
      return undefined
    }
    if (request.room !== undefined) {
      if (!this.checkRoomName(session, request.req, request.room)) return undefined
      if (!session.rooms.has(request.room)) {
        session.connection.refuse(request.req, ErrorCodes.NOT_MEMBER, `only members of ${request.room} may read its history`)
        return undefined
      }
      return roomStream(request.room)
    }
    const other = request.with!
    if (!isValidUsername(other)) {
      session.connection.refuse(request.req, ErrorCodes.INVALID_NAME, `${JSON.stringify(other.slice(0, 40))} is not a valid username`)
      return undefined
    }
    return conversationWith(this.engine, this.store, session, other.toLowerCase())
  }
}
