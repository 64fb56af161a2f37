import { ErrorCodes, isValidRoomName, isValidUsername } from '@chat/protocol'
import type { ReadRequest, UnreadRequest } from '@chat/protocol'
import { conversationWith } from '../direct/conversation.js'
import type { Engine } from '../engine/engine.js'
import { andThen } from '../maybe-promise.js'
import type { MaybePromise } from '../maybe-promise.js'
import type { ServerCounters } from '../ops/server-counters.js'
import type { Session } from '../session/session.js'
import { roomStream } from '../store/store.js'
import type { ReadMarker, Store, StreamKey } from '../store/store.js'
import type { ReadReceipts } from './read-receipts.js'

/** A conversation that can't exist (nobody by that name): nothing read, nothing to read. */
const NO_CONVERSATION: ReadMarker = { read: 0, lastId: 0 }

/**
 * Read markers (PROTOCOL.md §17): `read` moves a registered user's marker
 * of a room they are in, or of a conversation, up (never down, never past
 * the stream's newest id: the store sees to both, atomically); `unread`
 * reads it. Both answer `marker`, whose `unread` is `lastId - read`: ids
 * of a stream go up by one per message, so nothing is counted. Guests have
 * no markers (`registration_required`). A move in a room with receipts on
 * goes to its other members (`ReadReceipts`).
 */
export class MarkerHandler {
  constructor (
    private readonly store: Store,
    private readonly engine: Engine,
    private readonly receipts: ReadReceipts | undefined,
    private readonly counters: ServerCounters
  ) {}

  read (session: Session, request: ReadRequest): void | Promise<void> {
    return andThen(this.streamOf(session, request), stream => {
      if (stream === undefined) return
      if (stream === null) return this.reply(session, request, NO_CONVERSATION)
      return andThen(this.store.moveReadMarker(session.userKey, stream, request.id), marker => {
        this.reply(session, request, marker)
        if (!marker.moved) return
        this.counters.markerMoves++
        if (request.room !== undefined) this.receipts?.moved(session, request.room, marker.read)
      })
    })
  }

  unread (session: Session, request: UnreadRequest): void | Promise<void> {
    return andThen(this.streamOf(session, request), stream => {
      if (stream === undefined) return
      if (stream === null) return this.reply(session, request, NO_CONVERSATION)
      return andThen(this.store.readMarker(session.userKey, stream), marker => { this.reply(session, request, marker) })
    })
  }

  /** For `joined`: a registered user's marker of the room (undefined for a guest, who has none: nothing is read). */
  joining (session: Session, room: string): MaybePromise<ReadMarker> | undefined {
    return session.registered ? this.store.readMarker(session.userKey, roomStream(room)) : undefined
  }

  private reply (session: Session, request: ReadRequest | UnreadRequest, { read, lastId }: ReadMarker): void {
    session.connection.send(request.room !== undefined
      ? { type: 'marker', re: request.req, room: request.room, read, unread: lastId - read, lastId }
      : { type: 'marker', re: request.req, with: request.with!, read, unread: lastId - read, lastId })
  }

  /** The stream the request is about; null for a conversation that can't exist; undefined once refused. */
  private streamOf (session: Session, request: ReadRequest | UnreadRequest): MaybePromise<StreamKey | null | undefined> {
    const { req, room } = request
    const other = request.with
    if ((room === undefined) === (other === undefined)) {
      session.connection.refuse(req, ErrorCodes.INVALID_MESSAGE, `${request.type} needs exactly one of "room" and "with"`)
      return undefined
    }
    if (!session.registered) {
      session.connection.refuse(req, ErrorCodes.REGISTRATION_REQUIRED, 'read markers are kept for registered users only')
      return undefined
    }
    if (room !== undefined) {
      if (!isValidRoomName(room)) {
        session.connection.refuse(req, ErrorCodes.INVALID_NAME, `${JSON.stringify(room.slice(0, 70))} is not a valid room name`)
        return undefined
      }
      if (!session.rooms.has(room)) {
        session.connection.refuse(req, ErrorCodes.NOT_MEMBER, `join ${room} before reading its markers`)
        return undefined
      }
      return roomStream(room)
    }
    if (!isValidUsername(other!)) {
      session.connection.refuse(req, ErrorCodes.INVALID_NAME, `${JSON.stringify(other!.slice(0, 40))} is not a valid username`)
      return undefined
    }
    return conversationWith(this.engine, this.store, session, other!.toLowerCase())
  }
}
