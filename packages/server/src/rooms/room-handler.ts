import { ErrorCodes, isValidRoomName } from '@chat/protocol'
import type { JoinMessage, LeaveMessage, ListMembersMessage, ListRoomsMessage, RoomInfo, SendMessage } from '@chat/protocol'
import type { SendInPlace } from '@chat/protocol/fast'
import type { IdempotencyKeys } from '../commit/idempotency-keys.js'
import type { MessageIntake } from '../commit/message-intake.js'
import { andThen } from '../maybe-promise.js'
import type { Engine, RoomJoin } from '../engine/engine.js'
import type { MarkerHandler } from '../markers/marker-handler.js'
import type { TypingBoard } from '../typing/typing-board.js'
import type { ResolvedServerOptions } from '../options.js'
import { encodeFittingReply } from '../routing/list-reply.js'
import type { Session } from '../session/session.js'
import type { RoomRegistry } from './room-registry.js'

/** Member lists in replies name at most this many members (and say they were cut). */
export const MAX_LISTED_MEMBERS = 1_000

/** Requests about rooms: join, leave, send to one, list them, list a room's members. */
export class RoomHandler {
  constructor (
    private readonly options: ResolvedServerOptions,
    private readonly engine: Engine,
    /** This server's members of each room: a member's room is here, with its stream key made once. */
    private readonly registry: RoomRegistry,
    private readonly keys: IdempotencyKeys,
    private readonly intake: MessageIntake,
    /** Set while read markers are on: `joined` carries a registered user's. */
    private readonly markers: MarkerHandler | undefined,
    /** Set while typing indicators are on: leaving a room ends typing there. */
    private readonly typing: TypingBoard | undefined
  ) {}

  join (session: Session, message: JoinMessage): void | Promise<void> {
    if (!this.checkRoomName(session, message.req, message.room)) return
    // A registered user's marker is read first: a store that fails refuses the join before anything changed.
    const marker = this.markers?.joining(session, message.room)
    if (marker === undefined) return andThen(this.engine.join(message.room, session), joined => { this.joined(session, message, joined, undefined) })
    return andThen(marker, ({ read }) => andThen(this.engine.join(message.room, session), joined => { this.joined(session, message, joined, read) }))
  }

  private joined (session: Session, message: JoinMessage, { size, names, lastId }: RoomJoin, read: number | undefined): void {
    const cutShort = size > names.length
    // The marker as read, under the newest id the join saw (a commit may have come between the two reads).
    const marker = read === undefined ? undefined : { read: Math.min(read, lastId), unread: lastId - Math.min(read, lastId) }
    session.send(encodeFittingReply(names.length, this.options.maxFrameBytes, count =>
      ({ type: 'joined', re: message.req, room: message.room, members: names.slice(0, count), lastId, ...cut(cutShort || count < names.length), ...marker })))
  }

  leave (session: Session, message: LeaveMessage): void | Promise<void> {
    if (!this.checkRoomName(session, message.req, message.room)) return
    if (!session.rooms.has(message.room)) {
      session.connection.refuse(message.req, ErrorCodes.NOT_MEMBER, `not a member of ${message.room}`)
      return
    }
    this.typing?.left(session, message.room)
    // `left` once every server sees it (a shared engine: after the round trip).
    return andThen(this.engine.leave(message.room, session, 'left'), () => {
      session.connection.send({ type: 'left', re: message.req, room: message.room })
    })
  }

  send (session: Session, message: SendMessage): void | Promise<void> {
    // A member's room name was checked when it joined.
    if (!session.rooms.has(message.room)) {
      if (!this.checkRoomName(session, message.req, message.room)) return
      session.connection.refuse(message.req, ErrorCodes.NOT_MEMBER, `join ${message.room} before sending to it`)
      return
    }
    const answered = this.keys.answered(session, message.req, message.key, 'send')
    if (answered instanceof Promise) return answered.then(done => { if (!done) this.sendLater(session, message) })
    if (!answered) this.intake.accept(session, message.req, message.key, message.text, this.registry.get(message.room)!.destination, inPlace(message))
  }

  /** After a key was looked up in a store that answers later: the sender may have left the room meanwhile. */
  private sendLater (session: Session, message: SendMessage): void {
    const room = this.registry.get(message.room)
    if (room === undefined || !session.rooms.has(message.room)) {
      session.connection.refuse(message.req, ErrorCodes.NOT_MEMBER, `join ${message.room} before sending to it`)
      return
    }
    this.intake.accept(session, message.req, message.key, message.text, room.destination, inPlace(message))
  }

  rooms (session: Session, message: ListRoomsMessage): void | Promise<void> {
    // Never more than a frame could hold (and one more, to know it was cut): 100,000 rooms are not listed to be cut.
    const most = mostListedRooms(this.options.maxFrameBytes)
    return andThen(this.engine.roomList(most + 1), rooms => {
      session.send(encodeFittingReply(fittingRooms(rooms, message.req, this.options.maxFrameBytes), this.options.maxFrameBytes, count =>
        ({ type: 'room_list', re: message.req, rooms: rooms.slice(0, count), ...cut(count < rooms.length) })))
    })
  }

  members (session: Session, message: ListMembersMessage): void | Promise<void> {
    if (!this.checkRoomName(session, message.req, message.room)) return
    return andThen(this.engine.members(message.room, MAX_LISTED_MEMBERS), list => {
      if (list === undefined) {
        session.connection.refuse(message.req, ErrorCodes.NO_SUCH_ROOM, `no one is in ${message.room}`)
        return
      }
      const { names, size } = list
      session.send(encodeFittingReply(names.length, this.options.maxFrameBytes, count =>
        ({ type: 'member_list', re: message.req, room: message.room, members: names.slice(0, count), ...cut(size > names.length || count < names.length) })))
    })
  }

  private checkRoomName (session: Session, req: number, room: string): boolean {
    if (isValidRoomName(room)) return true
    session.connection.refuse(req, ErrorCodes.INVALID_NAME, 'a room name is 1-64 lowercase letters, digits, "_", "-" or "." and does not start with "-" or "."')
    return false
  }
}

/** A send read in place (`decodeClientMessageInPlace`): its text's bytes go into the frames as they came. */
function inPlace (message: SendMessage): SendInPlace | undefined {
  return (message as Partial<SendInPlace>).textAt !== undefined ? message as SendInPlace : undefined
}

/** The JSON of an entry without its name and count. */
const ROOM_ENTRY = '{"room":"","members":}'.length
/** The JSON of a `room_list` without its entries, cut. */
const roomListFrame = (re: number): number => `{"type":"room_list","re":${re},"rooms":[],"truncated":true}`.length

/** The most entries a `room_list` frame can hold (at its shortest; each entry has a name and a count of a character at least, and a comma). */
function mostListedRooms (maxFrameBytes: number): number {
  const shortest = '{"type":"room_list","re":0,"rooms":[]}'.length
  return Math.max(0, Math.floor((maxFrameBytes - shortest) / (ROOM_ENTRY + 3)) + 1)
}

/** How many of `rooms`, from the first, fit in one frame (room names are ASCII: a character is a byte). */
function fittingRooms (rooms: RoomInfo[], re: number, maxFrameBytes: number): number {
  let bytes = roomListFrame(re) - 1
  for (let i = 0; i < rooms.length; i++) {
    bytes += 1 + ROOM_ENTRY + rooms[i].room.length + String(rooms[i].members).length
    if (bytes > maxFrameBytes) return i
  }
  return rooms.length
}

/** The `truncated` flag of a list reply, present only when set. */
function cut (truncated: boolean): { truncated?: true } {
  return truncated ? { truncated } : {}
}
