import { encodeFrame } from '@chat/protocol'
import type { HeldMessages, Room } from '../rooms/room-registry.js'
import type { Session } from '../session/session.js'
import { toChatMessage } from './stored-message.js'

/**
 * A replay's hold on its room's live messages to its member, while a read of
 * a store that answers later is on its way. The client drops live messages
 * of the room until `replay_done`; a message committed during the round trip
 * would go out live (dropped) and miss the read: gone. Held, it goes out
 * after the page or after `replay_done`, where the client takes it. A store
 * that answers at once never starts a hold.
 */
export class ReplayHold {
  private holding = false

  constructor (
    /** The room as the replay began (undefined: nothing to hold). */
    private readonly room: Room | undefined,
    private readonly session: Session,
    private readonly maxFrameBytes: number
  ) {}

  /** Live messages of the room to this member wait from now on. */
  start (): void {
    if (this.holding || this.room === undefined) return
    this.holding = true
    const held = (this.room.held ??= new Map<Session, HeldMessages>())
    const hold = held.get(this.session)
    if (hold === undefined) held.set(this.session, { holders: 1, messages: [] })
    else hold.holders++
  }

  /** What was held goes out now, in order, and live messages flow again (unless another replay of the member holds them). */
  release (): void {
    if (!this.holding) return
    this.holding = false
    const room = this.room!
    const hold = room.held?.get(this.session)
    if (hold === undefined || --hold.holders > 0) return
    room.held!.delete(this.session)
    if (room.held!.size === 0) room.held = undefined
    for (const message of hold.messages) this.session.send(encodeFrame(toChatMessage(message), this.maxFrameBytes))
  }
}
