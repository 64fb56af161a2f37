import type { MessageRows } from './message-rows.js'

/** Where the message stored with an idempotency key is. */
export interface KeyedMessage {
  stream: MessageRows
  id: number
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

  /** The message stored with `key`, unless retention removed it. */
  find (key: string): KeyedMessage | undefined {
    const keyed = this.byKey.get(key)
    return keyed !== undefined && keyed.id > keyed.stream.floor ? keyed : undefined
  }

  /** `key` names message `id` of `stream` (ids only grow within a stream). */
  add (key: string, stream: MessageRows, id: number): void {
    const keyed: KeyedMessage = { stream, id }
    this.byKey.set(key, keyed)
    let log = this.logs.get(stream)
    if (log === undefined) this.logs.set(stream, log = new KeyLog())
    log.push(key, keyed)
  }

  /** Retention raised `stream`'s floor: the keys of the messages it removed go. */
  forgetRemoved (stream: MessageRows): void {
    const log = this.logs.get(stream)
    if (log === undefined) return
    log.dropUpTo(stream.floor, (key, keyed) => {
      // The key may name a newer message by now (sent again after its first one was removed).
      if (this.byKey.get(key) === keyed) this.byKey.delete(key)
    })
    if (log.isEmpty) this.logs.delete(stream)
  }
}

/** One stream's keys, oldest first: `keys[i]` names `messages[i]`; those before `head` are gone. */
class KeyLog {
  private keys: string[] = []
  private messages: KeyedMessage[] = []
  private head = 0

  get isEmpty (): boolean {
    return this.head === this.keys.length
  }

  push (key: string, keyed: KeyedMessage): void {
    this.keys.push(key)
    this.messages.push(keyed)
  }

  /** Hands each key of a message with an id up to `floor` to `drop`, and lets go of it. */
  dropUpTo (floor: number, drop: (key: string, keyed: KeyedMessage) => void): void {
    let head = this.head
    while (head < this.keys.length && this.messages[head].id <= floor) {
      drop(this.keys[head], this.messages[head])
      head++
    }
    if (head === this.keys.length) {
      this.keys = []
      this.messages = []
      this.head = 0
    } else if (head > 1024 && head * 2 > this.keys.length) {
      // Mostly gone: the dropped slots are not kept.
      this.keys = this.keys.slice(head)
      this.messages = this.messages.slice(head)
      this.head = 0
    } else {
      this.head = head
    }
  }
}
