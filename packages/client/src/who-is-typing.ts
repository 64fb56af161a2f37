import type { ChatMessage } from '@chat/protocol'
import type { ChatEvent } from './client-types.js'

/**
 * How long someone is shown typing without a refresh: a safety net, as
 * PROTOCOL.md §17 says (the server's own expiry, 5 s, normally comes first).
 */
export const TYPING_SHOWN_MS = 6_000

/**
 * Who is typing where, for an app to show ("ann is typing…"): fed the
 * client's events (`events()`) and messages. Someone shows from their
 * `active: true` until their `active: false`, a message of theirs there,
 * their leaving the room, or `shownMs` without a refresh. `onChange` runs
 * after each change. `clear()` when the connection is lost (the server tells
 * again at the next refresh), `close()` when done.
 */
export class WhoIsTyping {
  /** By conversation (`#room`, `@user`), who types there, in the order they started, with their expiry timers. */
  private readonly typing = new Map<string, Map<string, ReturnType<typeof setTimeout>>>()

  constructor (private readonly onChange: () => void, private readonly shownMs = TYPING_SHOWN_MS) {}

  /** Who is typing in a room, or to you in the conversation with a user (`{ with }`), in the order they started. */
  in (of: string | { with: string }): string[] {
    const users = this.typing.get(typeof of === 'string' ? `#${of}` : `@${of.with}`)
    return users === undefined ? [] : [...users.keys()]
  }

  /** An event of `events()`: typing starts and stops, and leaves end a typing. Others change nothing. */
  event (event: ChatEvent): void {
    if (event.type === 'typing') {
      const key = event.room !== undefined ? `#${event.room}` : `@${event.user}`
      if (event.active) this.start(key, event.user)
      else this.stop(key, event.user)
    } else if (event.type === 'leave') {
      this.stop(`#${event.room}`, event.user)
    }
  }

  /** A message ends its sender's typing there. */
  message (msg: Pick<ChatMessage, 'room' | 'from'>): void {
    this.stop(msg.room !== undefined ? `#${msg.room}` : `@${msg.from}`, msg.from)
  }

  /** Nobody is typing any more (the connection was lost: after a reconnect, the typists' next refresh tells again). */
  clear (): void {
    if (this.typing.size === 0) return
    this.close()
    this.onChange()
  }

  /** Stops every timer, with no change told. */
  close (): void {
    for (const users of this.typing.values()) for (const timer of users.values()) clearTimeout(timer)
    this.typing.clear()
  }

  private start (key: string, user: string): void {
    let users = this.typing.get(key)
    if (users === undefined) this.typing.set(key, users = new Map())
    const before = users.get(user)
    clearTimeout(before)
    users.set(user, setTimeout(() => { this.stop(key, user) }, this.shownMs))
    if (before === undefined) this.onChange()
  }

  private stop (key: string, user: string): void {
    const users = this.typing.get(key)
    const timer = users?.get(user)
    if (timer === undefined) return
    clearTimeout(timer)
    users!.delete(user)
    if (users!.size === 0) this.typing.delete(key)
    this.onChange()
  }
}
