import type { MessageRows } from './message-rows.js'
import type { StoredMessage } from './store.js'

/** Where the message stored with an idempotency key is (and the key, for retention to let go of). */
interface KeyedMessage {
  stream: MessageRows
  id: number
  key: string
}

/**
 * The memory store's index of idempotency keys: each scoped key to its
 * message, for as long as the message is kept. Each stream's keys are also
 * listed in id order, so retention lets go of the keys of the messages it
 * removed: without that, every keyed send a server ever took (all of the
 * SDK's) would stay in the index, retention or not.
 */
export class MemoryKeys {
  private readonly byKey = new Map<string, KeyedMessage>()
  private readonly logs = new Map<MessageRows, KeyLog>()

  /** Keys held. */
  get size (): number {
    return this.byKey.size
  }

  /** The message stored with `key` (retention takes a message's key with it: see forgetRemoved). */
  stored (key: string): StoredMessage | undefined {
    const keyed = this.byKey.get(key)
    return keyed?.stream.find(keyed.id)
  }

  /** `key` names message `id` of `stream` (ids only grow within a stream). */
  add (key: string, stream: MessageRows, id: number): void {
    const keyed: KeyedMessage = { stream, id, key }
    this.byKey.set(key, keyed)
    let log = this.logs.get(stream)
    if (log === undefined) this.logs.set(stream, log = new KeyLog())
    log.push(keyed)
  }

  /** Retention raised `stream`'s floor: the keys of the messages it removed go. */
  forgetRemoved (stream: MessageRows): void {
    const log = this.logs.get(stream)
    if (log === undefined) return
    log.dropUpTo(stream.floor, keyed => {
      // The key may name a newer message by now (sent again after its first one was removed).
      if (this.byKey.get(keyed.key) === keyed) this.byKey.delete(keyed.key)
    })
    if (log.isEmpty) this.logs.delete(stream)
  }
}

/** One stream's keyed messages, oldest first; those before `head` are gone. */
class KeyLog {
  private messages: KeyedMessage[] = []
  private head = 0

  get isEmpty (): boolean {
    return this.head === this.messages.length
  }

  push (keyed: KeyedMessage): void {
    this.messages.push(keyed)
  }

  /** Hands each message with an id up to `floor` to `drop`, and lets go of it. */
  dropUpTo (floor: number, drop: (keyed: KeyedMessage) => void): void {
    const messages = this.messages
    let head = this.head
    while (head < messages.length && messages[head].id <= floor) drop(messages[head++])
    if (head === messages.length) {
      this.messages = []
      this.head = 0
    } else if (head > 1024 && head * 2 > messages.length) {
      // Mostly gone: the dropped slots are not kept.
      this.messages = messages.slice(head)
      this.head = 0
    } else {
      this.head = head
    }
  }
}
