import { ErrorCodes } from '@chat/protocol'
import { andThen } from '../maybe-promise.js'
import type { MaybePromise } from '../maybe-promise.js'
import type { Session } from '../session/session.js'
import type { Store } from '../store/store.js'
import type { Delivery } from './delivery.js'

/** Longest idempotency key accepted (a UUID is 36). */
const MAX_KEY_LENGTH = 128

/** `send` and `dm` keys are apart: the same key in both names two messages. */
export type KeyedRequest = 'send' | 'dm'

/** Where a key is looked for: the sender's key scope, and `/dm` for direct messages. Never holds a space. */
function scopeOf (session: Session, kind: KeyedRequest): string {
  return kind === 'dm' ? `${session.keyScope}/dm` : session.keyScope
}

/**
 * Exactly-once sends: a send whose key was seen already is acknowledged with
 * the original message's id and timestamp, and not stored or delivered
 * again. A key is found among the sends being written right now (the retry
 * is then answered with the same commit; not needed, and not kept, when the
 * engine's commits end within their turn: `tracksPending`), or once committed (also after a
 * restart): by the commit itself when the engine checks keys there
 * (`Engine.checksKeysAtCommit`: the built-in engine on SQLite or memory, the
 * cluster's), else by a lookup in the store before the send goes on. Keys
 * are the sender's own (`Session.keyScope`: a registered user's account, a
 * guest's session), apart for sends and dms.
 */
export class IdempotencyKeys {
  /** Sends being written, by scope, then key (no string made per send to look one up). */
  private readonly pending = new Map<string, Map<string, Delivery>>()
  /** The engine finds stored keys in its commit (`Engine.checksKeysAtCommit`): only the pending ones are looked for here. Set at wiring. */
  checkedAtCommit = false
  /**
   * Keys being written are kept, for retries that arrive meanwhile. Not when
   * the engine's commit of a turn ends within it and finds keys written
   * twice (`Engine.commitsWithinTurn`): a retry can't come in between. Set at wiring.
   */
  tracksPending = true

  constructor (private readonly store: Store) {}

  /**
   * True if the request was answered here: an invalid key refused, or a
   * retry acknowledged (now or with its commit). Later, if the store answers
   * later: the caller goes on with `andThen`.
   */
  answered (session: Session, req: number, key: string | undefined, kind: KeyedRequest): MaybePromise<boolean> {
    if (key === undefined) return false
    // UTF-16 code units, as PROTOCOL.md says.
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      session.connection.refuse(req, ErrorCodes.INVALID_MESSAGE, `an idempotency key is 1-${MAX_KEY_LENGTH} characters`)
      return true
    }
    if (!this.tracksPending) return false
    const scope = scopeOf(session, kind)
    const pending = this.pending.get(scope)?.get(key)
    if (pending !== undefined) {
      (pending.retries ??= []).push({ sender: session, req })
      return true
    }
    if (this.checkedAtCommit) return false
    return andThen(this.store.findByKey({ scope, key }), stored => {
      if (stored === undefined) return false
      session.connection.send({ type: 'ack', re: req, id: stored.id, ts: stored.ts })
      return true
    })
  }

  /** The delivery carries this key: stored with it, and pending until its commit settles. */
  track (delivery: Delivery, key: string): void {
    const scope = scopeOf(delivery.sender, delivery.room === undefined ? 'dm' : 'send')
    delivery.idempotency = { scope, key }
    if (!this.tracksPending) return
    let keys = this.pending.get(scope)
    if (keys === undefined) this.pending.set(scope, keys = new Map())
    keys.set(key, delivery)
  }

  /** Its commit is over (stored or failed): later retries look in the store (or reach the next commit). */
  settle (delivery: Delivery): void {
    const idempotency = delivery.idempotency
    if (idempotency === undefined || !this.tracksPending) return
    const keys = this.pending.get(idempotency.scope)
    if (keys?.get(idempotency.key) !== delivery) return
    keys.delete(idempotency.key)
    if (keys.size === 0) this.pending.delete(idempotency.scope)
  }
}
