import type { Connection } from './connection.js'
import { roomStream } from './store/store.js'
import type { StreamKey } from './store/store.js'

export interface Room {
  readonly name: string
  /** Its stream of messages (ids, history). */
  readonly stream: StreamKey
  /** In join order. */
  readonly members: Set<Connection>
}

/** The rooms that have members. A room exists while someone is in it. */
export class RoomRegistry {
  private readonly rooms = new Map<string, Room>()

  get (name: string): Room | undefined {
    return this.rooms.get(name)
  }

  /** Adds a member; returns the room and whether the member is new to it. */
  join (name: string, member: Connection): { room: Room, added: boolean } {
    let room = this.rooms.get(name)
    if (room === undefined) {
      room = { name, stream: roomStream(name), members: new Set() }
      this.rooms.set(name, room)
    }
    const added = !room.members.has(member)
    room.members.add(member)
    return { room, added }
  }

  /** Removes a member; returns the room if it was one. An emptied room goes away. */
  leave (name: string, member: Connection): Room | undefined {
    const room = this.rooms.get(name)
    if (room === undefined || !room.members.delete(member)) return undefined
    if (room.members.size === 0) this.rooms.delete(name)
    return room
  }

  list (): Room[] {
    return [...this.rooms.values()].sort((a, b) => a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  }
}
