import type { Account, IdempotencyKey, InboxEntry, LocalStore, MessageWrite, RetentionPolicy, StoredMessage, StreamKey } from './store.js'

interface Stream {
  /** In id order. */
  messages: StoredMessage[]
  lastId: number
  floor: number
}

/**
 * A store that keeps everything in memory and forgets it on exit. The
 * default for `createServer()` without a data directory (tests, embedding);
 * the CLI uses the SQLite store.
 */
export class MemoryStore implements LocalStore {
  private readonly streams = new Map<StreamKey, Stream>()
  private readonly inboxes = new Map<string, InboxEntry[]>()
  private inboxSeq = 0
  private readonly accounts = new Map<string, Account>()
  private readonly byKey = new Map<string, StoredMessage>()

  lastId (stream: StreamKey): number {
    return this.streams.get(stream)?.lastId ?? 0
  }

  floor (stream: StreamKey): number {
    return this.streams.get(stream)?.floor ?? 0
  }

  /** Its keys are checked as messages are written: see `append`. */
  readonly checksKeysAtAppend: boolean = true

  append (writes: readonly MessageWrite[]): void {
    // Per stream, the ids given back by duplicates so far (made only once there is one).
    let unused: Map<StreamKey, number> | undefined
    for (const write of writes) {
      const { message, inboxFor, idempotency } = write
      if (unused !== undefined) message.id -= unused.get(message.stream) ?? 0
      if (idempotency !== undefined) {
        const key = `${idempotency.scope} ${idempotency.key}`
        const stored = this.byKey.get(key)
        // As findByKey: a message removed by retention took its key with it.
        if (stored !== undefined && stored.id > this.floor(stored.stream)) {
          write.duplicateOf = { id: stored.id, ts: stored.ts }
          unused ??= new Map()
          unused.set(message.stream, (unused.get(message.stream) ?? 0) + 1)
          continue
        }
        this.byKey.set(key, message)
      }
      let stream = this.streams.get(message.stream)
      if (stream === undefined) {
        stream = { messages: [], lastId: 0, floor: 0 }
        this.streams.set(message.stream, stream)
      }
      stream.messages.push(message)
      stream.lastId = Math.max(stream.lastId, message.id)
      if (inboxFor !== undefined) {
        const inbox = this.inboxes.get(inboxFor) ?? []
        inbox.push({ seq: ++this.inboxSeq, message })
        this.inboxes.set(inboxFor, inbox)
      }
    }
  }

  readAfter (stream: StreamKey, after: number, limit: number): StoredMessage[] {
    const messages = this.streams.get(stream)?.messages ?? []
    const start = firstIndexAbove(messages, after)
    return messages.slice(start, start + limit)
  }

  readBefore (stream: StreamKey, before: number | undefined, limit: number): StoredMessage[] {
    const messages = this.streams.get(stream)?.messages ?? []
    const end = before === undefined ? messages.length : firstIndexAbove(messages, before - 1)
    return messages.slice(Math.max(0, end - limit), end)
  }

  findByKey ({ scope, key }: IdempotencyKey): StoredMessage | undefined {
    // A scope has no space: the first one ends it.
    const message = this.byKey.get(`${scope} ${key}`)
    // Like the SQLite store: a message removed by retention is not found.
    return message !== undefined && message.id > this.floor(message.stream) ? message : undefined
  }

  readInbox (userKey: string, limit: number): InboxEntry[] {
    // Messages removed by retention meanwhile are not delivered, as in the SQLite store.
    const inbox = (this.inboxes.get(userKey) ?? []).filter(e => e.message.id > this.floor(e.message.stream))
    return inbox.slice(0, limit)
  }

  removeInbox (userKey: string, seq: number): void {
    const inbox = (this.inboxes.get(userKey) ?? []).filter(e => e.seq > seq)
    if (inbox.length === 0) this.inboxes.delete(userKey)
    else this.inboxes.set(userKey, inbox)
  }

  getAccount (userKey: string): Account | undefined {
    return this.accounts.get(userKey)
  }

  createAccount (userKey: string, account: Account): boolean {
    if (this.accounts.has(userKey)) return false
    this.accounts.set(userKey, account)
    return true
  }

  prune (policy: RetentionPolicy, now: number): number {
    let removed = 0
    for (const stream of this.streams.values()) {
      let cut = 0
      if (policy.maxAgeMs !== undefined) {
        const cutoff = now - policy.maxAgeMs
        for (let i = 0; i < stream.messages.length; i++) if (stream.messages[i].ts < cutoff) cut = i + 1
      }
      if (policy.maxMessagesPerStream !== undefined) cut = Math.max(cut, stream.messages.length - policy.maxMessagesPerStream)
      if (cut > 0) {
        stream.floor = Math.max(stream.floor, stream.messages[cut - 1].id)
        stream.messages = stream.messages.slice(cut)
        removed += cut
      }
    }
    return removed
  }

  close (): void {}
}

/** Index of the first message with id > `id` (messages are in id order). */
function firstIndexAbove (messages: StoredMessage[], id: number): number {
  let low = 0
  let high = messages.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (messages[mid].id <= id) low = mid + 1
    else high = mid
  }
  return low
}
