import type { TypingEvent } from '@chat/protocol'
import type { NodeDelivery } from '../engine/engine.js'
import type { Session } from '../session/session.js'

/** Without a refresh for this long, a typist of another node is shown stopped here (PROTOCOL.md §17: receivers wait about 6 s). */
export const REMOTE_TYPING_SILENCE_MS = 6_000

/**
 * The typing indicators this node shows its members for typists on other
 * nodes. The typist's node paces and expires them, and announces every
 * refresh; but if that node dies, its stops never come. So here an
 * indicator ends (`active: false` to the members here) after
 * `silenceMs` without a refresh, or when the typist leaves the room
 * (presence, a dead node's retired users included). A stop for an
 * indicator not shown here (ended already, or started before this node
 * listened) is not passed on.
 */
export class RemoteTypists {
  /** By `r:<room> <userKey>` or `d:<recipient key> <userKey>` (none has a space inside). */
  private readonly shown = new Map<string, NodeJS.Timeout>()

  constructor (private readonly node: NodeDelivery, private readonly silenceMs = REMOTE_TYPING_SILENCE_MS) {}

  /** A typing event of a room from another node. */
  room (room: string, event: TypingEvent, aboutKey: string): void {
    const key = `r:${room} ${aboutKey}`
    if (event.active) this.keep(key, () => { this.node.signal(room, { type: 'typing', room, user: event.user, active: false }, aboutKey) })
    else if (!this.drop(key)) return
    this.node.signal(room, event, aboutKey)
  }

  /** A direct typing event from another node, for `target` here. */
  direct (target: Session, user: string, aboutKey: string, active: boolean): void {
    const key = `d:${target.userKey} ${aboutKey}`
    if (active) this.keep(key, () => { if (target.isActive) this.node.typingTo(target, user, false) })
    else if (!this.drop(key)) return
    if (target.isActive) this.node.typingTo(target, user, active)
  }

  /** `user` left `room` (a presence leave): their indicator there, if shown, ends. */
  left (room: string, user: string): void {
    const aboutKey = user.toLowerCase()
    if (this.drop(`r:${room} ${aboutKey}`)) this.node.signal(room, { type: 'typing', room, user, active: false }, aboutKey)
  }

  /** Clears every timer (the node is leaving). */
  close (): void {
    for (const timer of this.shown.values()) clearTimeout(timer)
    this.shown.clear()
  }

  private keep (key: string, end: () => void): void {
    const timer = this.shown.get(key)
    if (timer !== undefined) {
      timer.refresh()
      return
    }
    const ends = setTimeout(() => {
      this.shown.delete(key)
      end()
    }, this.silenceMs)
    ends.unref()
    this.shown.set(key, ends)
  }

  /** Forgets an indicator; true if it was shown. */
  private drop (key: string): boolean {
    const timer = this.shown.get(key)
    if (timer === undefined) return false
    clearTimeout(timer)
    this.shown.delete(key)
    return true
  }
}
