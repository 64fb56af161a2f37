import type { Session } from '../session/session.js'
import { roomStream } from '../store/store.js'
import type { StoredMessage, StreamKey } from '../store/store.js'
import { SortedNames } from './sorted-names.js'

export interface Room {
  readonly name: string
  /** Its stream of messages (ids, history). */
  readonly stream: StreamKey
  /** Where its messages go, as `MessageIntake.accept` takes it: made once, not per send. */
  readonly destination: { readonly stream: StreamKey, readonly room: string }
  /**
   * Its members here, in join order, by user key: a resumed session takes
   * its predecessor's entry (`Map.set` on a key keeps its place).
   */
  readonly members: Map<string, Session>
  /**
   * Members whose replay of the room waits on a store that answers later:
   * its live messages wait here for them (`ReplayHold`). Undefined while
   * nobody's does: the fan-out's path then is a plain loop.
   */
  held: Map<Session, HeldMessages> | undefined
}

/** A member's live messages of a room, held while its replays (`holders` of them) wait on the store. */
export interface HeldMessages {
  holders: number
  messages: StoredMessage[]
}

/**
 * The rooms that have members on this server, and (kept with them, so the
 * two never disagree) the rooms of each session. A room exists while
 * someone is in it.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Room>()
  /** The same rooms, by name, for `list`. */
  private readonly byName = new SortedNames<Room>()

  /** Rooms with members. */
  get size (): number {
    return this.rooms.size
  }

  get (name: string): Room | undefined {
    return this.rooms.get(name)
  }

  /** Adds a member; returns the room and whether the member is new to it. */
  join (name: string, member: Session): { room: Room, added: boolean } {
    let room = this.rooms.get(name)
    if (room === undefined) {
      const stream = roomStream(name)
      room = { name, stream, destination: { stream, room: name }, members: new Map(), held: undefined }
      this.rooms.set(name, room)
      this.byName.add(room)
    }
    const added = room.members.get(member.userKey) !== member
    room.members.set(member.userKey, member)
    member.rooms.add(name)
    return { room, added }
  }

  /** Removes a member; returns the room if it was one. An emptied room goes away. */
  leave (name: string, member: Session): Room | undefined {
    const room = this.rooms.get(name)
    member.rooms.delete(name)
    // Another session of the name (the one that resumed this one) is not this member.
    if (room === undefined || room.members.get(member.userKey) !== member) return undefined
    room.members.delete(member.userKey)
    if (room.members.size === 0) {
      this.rooms.delete(name)
      this.byName.remove(room)
    }
    return room
  }

  /** Puts `replacement` (a session of the same name) in every room of `old`, in its place: nobody leaves or joins, the join order stays. */
  transfer (old: Session, replacement: Session): void {
    for (const name of old.rooms) {
      const room = this.rooms.get(name)
      if (room?.members.get(old.userKey) !== old) continue
      room.members.set(replacement.userKey, replacement)
      replacement.rooms.add(name)
    }
    old.rooms.clear()
  }

  /** Rooms by name: the first `limit` (default all). */
  list (limit = Infinity): Room[] {
    return this.byName.first(limit)
  }
}

/** The first members' names of a room, at most `limit`. */
export function memberNames (room: Room, limit: number): string[] {
  const names: string[] = []
  for (const member of room.members.values()) {
    if (names.length === limit) break
    names.push(member.username)
  }
  return names
}
