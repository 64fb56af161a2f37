import { ErrorCodes } from '@chat/protocol'
import type { Session } from '../session/session.js'
import type { Store } from '../store/store.js'
import type { Delivery } from './delivery.js'

/** Longest idempotency key accepted (a UUID is 36). */
const MAX_KEY_LENGTH = 128

/**
 * Exactly-once sends: a send whose key was seen already is acknowledged with
 * the original message's id and timestamp, and not stored or delivered
 * again. A key is found in the store once committed (also after a restart),
 * or among the sends being written right now (the retry is then answered
 * with the same commit).
 */
export class IdempotencyKeys {
  /** Sends being written, by `<user key> <key>`. */
  private readonly pending = new Map<string, Delivery>()

  constructor (private readonly store: Store) {}

  /** True if the send was answered here: an invalid key refused, or a retry acknowledged (now or with its commit). */
  answered (session: Session, req: number, key: string | undefined): boolean {
    if (key === undefined) return false
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      session.connection.refuse(req, ErrorCodes.INVALID_MESSAGE, `an idempotency key is 1-${MAX_KEY_LENGTH} characters`)
      return true
    }
    const pending = this.pending.get(`${session.userKey} ${key}`)
    if (pending !== undefined) {
      (pending.retries ??= []).push({ sender: session, req })
      return true
    }
    const stored = this.store.findByKey({ userKey: session.userKey, key })
    if (stored === undefined) return false
    session.connection.send({ type: 'ack', re: req, id: stored.id, ts: stored.ts })
    return true
  }

  /** The delivery carries this key: stored with it, and pending until its commit settles. */
  track (delivery: Delivery, key: string): void {
    delivery.idempotency = { userKey: delivery.sender.userKey, key }
    delivery.pendingKey = `${delivery.sender.userKey} ${key}`
    this.pending.set(delivery.pendingKey, delivery)
  }

  /** Its commit is over (stored or failed): later retries look in the store. */
  settle (delivery: Delivery): void {
    if (delivery.pendingKey !== undefined) this.pending.delete(delivery.pendingKey)
  }
}
