import type { Engine } from '../engine/engine.js'
import type { Session } from '../session/session.js'
import { PacedValue } from '../typing/paced-value.js'

/** Rooms with read receipts on: by name, or every room. */
export type ReceiptRooms = readonly string[] | '*'

/**
 * Read receipts, in the rooms that have them: each move of a member's
 * marker goes to the room's other members (on every server, through the
 * engine) as `read { room, user, id }`, at most once a second per member
 * and room: the newest one (`PacedValue`).
 */
export class ReadReceipts {
  private readonly rooms: ReadonlySet<string> | '*'
  /** By `<userKey> <room>` (neither has a space): the receipts being paced. */
  private readonly pending = new Map<string, PacedValue<number>>()
  private closed = false

  constructor (private readonly engine: Engine, rooms: ReceiptRooms, private readonly intervalMs: number) {
    this.rooms = rooms === '*' ? '*' : new Set(rooms)
  }

  /** `session`'s marker of `room` moved up to `id`. */
  moved (session: Session, room: string, id: number): void {
    if (this.closed || (this.rooms !== '*' && !this.rooms.has(room))) return
    const key = `${session.userKey} ${room}`
    let receipt = this.pending.get(key)
    if (receipt === undefined) {
      const { username, userKey } = session
      const paced: PacedValue<number> = new PacedValue<number>(0, this.intervalMs, read => {
        this.engine.signalRoom(room, { type: 'read', room, user: username, id: read }, userKey)
      }, () => {
        if (this.pending.get(key) === paced) this.pending.delete(key)
      })
      this.pending.set(key, receipt = paced)
    }
    receipt.set(id)
  }

  /** Clears every timer: the receipts still waiting are dropped. */
  close (): void {
    this.closed = true
    for (const receipt of this.pending.values()) receipt.close()
    this.pending.clear()
  }
}
