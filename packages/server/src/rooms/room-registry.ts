import type { Session } from '../session/session.js'
import { roomStream } from '../store/store.js'
import type { StreamKey } from '../store/store.js'

export interface Room {
  readonly name: string
  /** Its stream of messages (ids, history). */
  readonly stream: StreamKey
  /** In join order. */
  readonly members: Set<Session>
}

/**
 * The rooms that have members on this server, and (kept with them, so the
 * two never disagree) the rooms of each session. A room exists while
 * someone is in it.
 */
export class RoomRegistry {
  private readonly rooms = new Map<string, Room>()

  get (name: string): Room | undefined {
    return this.rooms.get(name)
  }

  /** Adds a member; returns the room and whether the member is new to it. */
  join (name: string, member: Session): { room: Room, added: boolean } {
    let room = this.rooms.get(name)
    if (room === undefined) {
      room = { name, stream: roomStream(name), members: new Set() }
      this.rooms.set(name, room)
    }
    const added = !room.members.has(member)
    room.members.add(member)
    member.rooms.add(name)
    return { room, added }
  }

  /** Removes a member; returns the room if it was one. An emptied room goes away. */
  leave (name: string, member: Session): Room | undefined {
    const room = this.rooms.get(name)
    member.rooms.delete(name)
    if (room === undefined || !room.members.delete(member)) return undefined
    if (room.members.size === 0) this.rooms.delete(name)
    return room
  }

  /** Puts `replacement` in every room of `old`, in its place (a resumed session: nobody leaves or joins). */
  transfer (old: Session, replacement: Session): void {
    for (const name of [...old.rooms]) {
      this.leave(name, old)
      this.join(name, replacement)
    }
  }

  /** Rooms by name. */
  list (): Room[] {
    return [...this.rooms.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  }
}

/** The first members' names of a room, at most `limit`. */
export function memberNames (room: Room, limit: number): string[] {
  const names: string[] = []
  for (const member of room.members) {
    if (names.length === limit) break
    names.push(member.username)
  }
  return names
}
