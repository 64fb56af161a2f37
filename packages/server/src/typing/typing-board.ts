import type { Delivery } from '../commit/delivery.js'
import type { Engine } from '../engine/engine.js'
import type { Session } from '../session/session.js'
import { PacedValue } from './paced-value.js'

export interface TypingTimes {
  /** An `active: true` not refreshed within this long ends by itself (ms). PROTOCOL.md §17: 5 000. */
  timeoutMs: number
  /** At most one event per this long per user and room or pair (ms): 1 000. */
  intervalMs: number
}

/** One user typing (or having stopped lately) in one room or to one user. */
export interface TypingEntry {
  readonly session: Session
  /** `r:<room>` or `d:<userKey>`: its key in `Session.typing`. */
  readonly key: string
  readonly room: string | undefined
  /** The recipient's user key, for typing to a user. */
  readonly toKey: string | undefined
  /** The state as it stands, and as announced: once a second at most. */
  readonly state: PacedValue<boolean>
  /** Ends an `active: true` that is not refreshed. */
  expiry: NodeJS.Timeout | undefined
}

/**
 * This server's typists: per user and room (or recipient), whether they type
 * now, announced to the others at most once a second (the state as it then
 * stands; `PacedValue`). A start holds for `timeoutMs` unless refreshed;
 * expiry, a stop, leaving the room, the connection ending and the user's own
 * message there end it. Nothing is stored. Events go out through the engine
 * (`signalRoom`, `typingTo`), so a cluster's other nodes get them too.
 *
 * The entries live on their sessions (`Session.typing`), which is undefined
 * for anyone typing nowhere: the send path's only cost.
 */
export class TypingBoard {
  /** Every entry with a timer or a state to announce: cleared by `close`. */
  private readonly live = new Set<TypingEntry>()
  /** Set by `close`: nothing is tracked or announced from then on (the connections ending after it included). */
  private closed = false

  constructor (private readonly engine: Engine, private readonly times: TypingTimes) {}

  /** `typing { room | to, active }` from `session`: `toKey` a recipient's user key. */
  set (session: Session, room: string | undefined, toKey: string | undefined, active: boolean): void {
    if (this.closed) return
    const key = room !== undefined ? `r:${room}` : `d:${toKey!}`
    let entry = session.typing?.get(key)
    if (entry === undefined) {
      if (!active) return // nothing to stop
      entry = this.entry(session, key, room, toKey)
    }
    if (!active) {
      this.stop(entry)
      return
    }
    if (entry.expiry === undefined) {
      const typing = entry
      entry.expiry = setTimeout(() => { this.stop(typing) }, this.times.timeoutMs)
      entry.expiry.unref()
    } else {
      entry.expiry.refresh()
    }
    entry.state.set(true)
  }

  /** A message of the typist's was delivered where they typed: that ends it (its `active: false` follows the message). */
  sent (delivery: Delivery): void {
    const key = delivery.room !== undefined ? `r:${delivery.room}` : `d:${delivery.target?.userKey ?? delivery.targetKey ?? delivery.inboxFor ?? ''}`
    const entry = delivery.sender.typing?.get(key)
    if (entry !== undefined) this.stop(entry)
  }

  /** The typist left the room. */
  left (session: Session, room: string): void {
    const entry = session.typing?.get(`r:${room}`)
    if (entry !== undefined) this.stop(entry)
  }

  /** The typist's connection ended (any reason): every place they typed in ends. */
  ended (session: Session): void {
    if (session.typing === undefined) return
    for (const entry of [...session.typing.values()]) this.stop(entry)
  }

  /** Clears every timer (the server is closing): nothing more is announced. */
  close (): void {
    this.closed = true
    for (const entry of this.live) {
      clearTimeout(entry.expiry)
      entry.state.close()
    }
    this.live.clear()
  }

  private entry (session: Session, key: string, room: string | undefined, toKey: string | undefined): TypingEntry {
    const { username, userKey } = session
    const entry: TypingEntry = {
      session,
      key,
      room,
      toKey,
      expiry: undefined,
      state: new PacedValue<boolean>(false, this.times.intervalMs, active => {
        if (room !== undefined) this.engine.signalRoom(room, { type: 'typing', room, user: username, active }, userKey)
        else this.engine.typingTo(toKey!, username, active)
      }, announced => {
        // Stopped, said so, and a second has passed: forgotten (a start from here is announced at once).
        if (!announced && entry.expiry === undefined) this.forget(entry)
      })
    }
    ;(session.typing ??= new Map()).set(key, entry)
    this.live.add(entry)
    return entry
  }

  private stop (entry: TypingEntry): void {
    if (this.closed) return
    clearTimeout(entry.expiry)
    entry.expiry = undefined
    entry.state.set(false)
  }

  private forget (entry: TypingEntry): void {
    this.live.delete(entry)
    const typing = entry.session.typing
    if (typing?.get(entry.key) !== entry) return
    typing.delete(entry.key)
    if (typing.size === 0) entry.session.typing = undefined
  }
}
