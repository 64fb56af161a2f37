import { andThen } from '../maybe-promise.js'
import type { MaybePromise } from '../maybe-promise.js'
import type { Engine } from '../engine/engine.js'
import type { Session } from '../session/session.js'
import { conversationStream } from '../store/store.js'
import type { Store, StreamKey } from '../store/store.js'

/**
 * The stream of `session`'s conversation with the user `otherKey` (a user
 * key), as direct messages are stored: by each side's identity. A
 * registered user's identity is their key; a guest's exists only while
 * they are online. Null for a conversation that can't exist (nobody online
 * or registered by that name).
 */
export function conversationWith (engine: Engine, store: Store, session: Session, otherKey: string): MaybePromise<StreamKey | null> {
  return andThen(engine.findUser(otherKey), online => online !== undefined
    ? conversationStream(session.identity, online.identity)
    : andThen(store.getAccount(otherKey), account => account === undefined ? null : conversationStream(session.identity, otherKey)))
}
