import { ErrorCodes } from '@chat/protocol'
import type { SendInPlace } from '@chat/protocol/fast'
import type { Engine } from '../engine/engine.js'
import type { ResolvedServerOptions } from '../options.js'
import type { Session } from '../session/session.js'
import type { StreamKey } from '../store/store.js'
import type { Delivery } from './delivery.js'
import type { IdempotencyKeys } from './idempotency-keys.js'
import { encodeText, messageBodyBytes, textInPlace } from './message-frame.js'

/**
 * Room a message's frame must leave below the frame limit: stored messages
 * are sent again wrapped in a bit more (a replay tag, a history page).
 */
const WRAP_HEADROOM = 256

/** Where a message goes, as the room or direct-message handler decided. */
export interface Destination {
  stream: StreamKey
  /** A room message: to this room's members. */
  room?: string
  /** A direct message: to this name (display case)... */
  to?: string
  /** ...online here, */
  target?: Session
  /** ...or online on another server of the cluster (its node id, and the user's key), */
  targetNode?: string
  targetKey?: string
  /** ...or offline and registered: kept in this user's inbox. */
  inboxFor?: string
}

/**
 * Where room and direct messages enter the commit: the text's limits are
 * checked, and what passes goes to the engine with its idempotency key.
 * Nothing is refused after this point for the message itself, so an id,
 * once given, is never wasted.
 */
export class MessageIntake {
  constructor (
    private readonly options: ResolvedServerOptions,
    private readonly engine: Engine,
    private readonly keys: IdempotencyKeys
  ) {}

  /**
   * Hands a message to the engine, or refuses it (`message_too_long`). A
   * text read in place (`inPlace`: a plain ASCII `send`'s bytes, and where
   * its literal starts) goes into frames from those bytes.
   */
  accept (session: Session, req: number, key: string | undefined, text: string, to: Destination, inPlace?: SendInPlace): void {
    // ASCII read in place: a byte per character.
    const textBytes = inPlace !== undefined ? text.length : Buffer.byteLength(text, 'utf8')
    if (textBytes > this.options.maxTextBytes) {
      session.connection.refuse(req, ErrorCodes.MESSAGE_TOO_LONG, `text of ${textBytes} bytes exceeds the limit of ${this.options.maxTextBytes}`)
      return
    }
    const encoded = inPlace !== undefined ? textInPlace(text, inPlace.bytes, inPlace.textAt) : encodeText(text, textBytes)
    const direct = to.room === undefined
    // A text within the limit can still escape to more than a frame holds (control characters).
    if (messageBodyBytes(to.room ?? to.to!, session.username, encoded, direct) > this.options.maxFrameBytes - WRAP_HEADROOM) {
      session.connection.refuse(req, ErrorCodes.MESSAGE_TOO_LONG, 'text does not fit in one frame once encoded')
      return
    }
    // Each kind made whole at once: one shape per kind, no property added later.
    const from = session.username
    // Accepted as its chunk arrives: the chunk's time, read once per chunk (Date.now() per message cost ~40 ns of ~900).
    const ts = session.connection.arrivedAt || Date.now()
    let delivery: Delivery
    if (!direct) {
      delivery = { message: { stream: to.stream, id: 0, from, text, ts, room: to.room }, sender: session, req, encoded, textBytes: encoded, room: to.room }
    } else if (to.target !== undefined) {
      delivery = { message: { stream: to.stream, id: 0, from, text, ts, to: to.to }, sender: session, req, encoded, textBytes: encoded, target: to.target }
    } else if (to.targetNode !== undefined) {
      delivery = { message: { stream: to.stream, id: 0, from, text, ts, to: to.to }, sender: session, req, encoded, textBytes: encoded, targetNode: to.targetNode, targetKey: to.targetKey }
    } else {
      delivery = { message: { stream: to.stream, id: 0, from, text, ts, to: to.to }, sender: session, req, encoded, textBytes: encoded, inboxFor: to.inboxFor }
    }
    if (key !== undefined) this.keys.track(delivery, key)
    this.engine.publish(delivery)
  }
}
