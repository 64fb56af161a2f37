import type { Session } from '../session/session.js'
import type { MessageWrite } from '../store/store.js'
import type { EncodedText } from './message-frame.js'

/**
 * A message accepted from a sender, on its way through the commit: what to
 * store (`message`, its id given by the engine), and what to do once it is
 * stored. The text's JSON is made once, at intake, where its frame size is
 * checked; the frame itself is made at delivery, once per message.
 */
export interface Delivery extends MessageWrite {
  sender: Session
  req: number
  /** The text as it goes into the frame. */
  encoded: EncodedText
  /** Room messages: fanned out to the room's members. */
  room?: string
  /** Direct messages to someone online: handed to them. (Someone offline and registered: `inboxFor`.) */
  target?: Session
  /** Direct messages to someone online on another server (a cluster): that server's id, and the user's key. */
  targetNode?: string
  targetKey?: string
  /** Retries of the same key that arrived while it was being written: acknowledged with it. */
  retries?: Array<{ sender: Session, req: number }>
  // `duplicateOf` (from MessageWrite), set by an engine that checks keys at its commit (`Engine.checksKeysAtCommit`):
  // the key was stored before, with that message. Acknowledged with its id and ts; not stored or delivered again.
}

/** What delivery needs of a committed message: the message, its text's JSON, and where it goes on this server. */
export type Outgoing = Pick<Delivery, 'message' | 'encoded' | 'room' | 'target'>
