/** Where one says one is typing: a room, or a user (a direct conversation). */
export type TypingTarget = { room: string } | { to: string }

/** A typing `active: true` is refreshed no more often than this while the user keeps typing (PROTOCOL.md §17: it holds 5 s). */
export const TYPING_REFRESH_MS = 3_000
/** How long the server keeps a typing `active: true` that is not refreshed. */
export const TYPING_EXPIRY_MS = 5_000

interface Sent<C> {
  /** When `active: true` was last sent. */
  at: number
  connection: C
}

/** A target's key in the table: rooms and users apart (a room and a user may share a name). */
export function typingKey (target: TypingTarget): string {
  return 'room' in target ? `#${target.room}` : `@${target.to}`
}

/**
 * The caller's own typing, debounced: `update` runs on every keystroke, and
 * only what the server needs to know leaves: `active: true` once, again at
 * most every `TYPING_REFRESH_MS` while keystrokes keep coming, `active: false`
 * only if a true is still standing. A message sent to the target ends the
 * typing on the server by itself (`forget`). State is per connection: a new
 * connection starts afresh (the server ended the old one's typing). It holds
 * an entry per room or person typed to and not sent to or stopped since: a
 * person's handful.
 */
export class TypingSender<C> {
  private readonly sent = new Map<string, Sent<C>>()
  /** A connection whose server answered `unknown_type`: no typing is sent on it. */
  private unsupportedOn: C | undefined

  constructor (
    private readonly send: (connection: C, target: TypingTarget, active: boolean) => void,
    private readonly now: () => number = Date.now
  ) {}

  /** Targets it remembers typing to (none: a send has nothing to forget). */
  get size (): number {
    return this.sent.size
  }

  /** A keystroke (`active`) or a stop. Without a connection nothing is sent: typing is of the moment, not worth waiting for. */
  update (connection: C | undefined, target: TypingTarget, active: boolean): void {
    if (connection === undefined || connection === this.unsupportedOn) return
    const key = typingKey(target)
    const now = this.now()
    const last = this.sent.get(key)
    const standing = last !== undefined && last.connection === connection && now - last.at < TYPING_EXPIRY_MS
    if (active) {
      if (standing && now - last.at < TYPING_REFRESH_MS) return
      this.sent.set(key, { at: now, connection })
      this.send(connection, target, true)
    } else if (last !== undefined) {
      this.sent.delete(key)
      if (standing) this.send(connection, target, false)
    }
  }

  /** A message was sent to the target: the server ends the typing there itself, and the next keystroke starts again. */
  forget (key: string): void {
    this.sent.delete(key)
  }

  /** The server does not know `typing` (an older one, or typing turned off): stop sending it on this connection. */
  unsupported (connection: C): void {
    this.unsupportedOn = connection
    this.sent.clear()
  }
}
