import { releaseCopyViews } from '../copy-ascii.js'
import { MemoryKeys } from './memory-keys.js'
import { MessageRows } from './message-rows.js'
import type { Account, IdempotencyKey, InboxEntry, LocalStore, MarkerMove, MessageWrite, ReadMarker, RetentionPolicy, StoredMessage, StreamKey } from './store.js'
import { scopedKey } from './store.js'

/**
 * A store that keeps everything in memory and forgets it on exit. The
 * default for `createServer()` without a data directory (tests, embedding);
 * the CLI uses the SQLite store. Messages are kept as encoded rows
 * (`MessageRows`), not as the objects that were written: reads make new
 * objects, as a database's do.
 */
export class MemoryStore implements LocalStore {
  private readonly streams = new Map<StreamKey, MessageRows>()
  private readonly inboxes = new Map<string, InboxEntry[]>()
  private inboxSeq = 0
  private readonly accounts = new Map<string, Account>()
  private readonly keys = new MemoryKeys()
  /** Read markers: user key → stream → newest id read. */
  private readonly markers = new Map<string, Map<StreamKey, number>>()

  /** Idempotency keys held: one per keyed message kept (retention takes a message's key with it). */
  get keyCount (): number {
    return this.keys.size
  }

  /** Offline-inbox entries held, of every user: one per direct message kept for someone offline (retention takes them with their messages). */
  get inboxEntryCount (): number {
    let count = 0
    for (const inbox of this.inboxes.values()) count += inbox.length
    return count
  }

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
    // A commit's messages are mostly of one stream: the last one is kept at hand.
    let stream: MessageRows | undefined
    for (const write of writes) {
      const { message, inboxFor, idempotency, textBytes } = write
      if (unused !== undefined) message.id -= unused.get(message.stream) ?? 0
      if (idempotency !== undefined) {
        const key = scopedKey(idempotency)
        const stored = this.keys.stored(key)
        if (stored !== undefined) {
          write.duplicateOf = { id: stored.id, ts: stored.ts }
          unused ??= new Map()
          unused.set(message.stream, (unused.get(message.stream) ?? 0) + 1)
          continue
        }
        if (stream?.stream !== message.stream) stream = this.rowsOf(message.stream)
        this.keys.add(key, stream, message.id)
      }
      if (stream?.stream !== message.stream) stream = this.rowsOf(message.stream)
      stream.append(message, textBytes)
      if (inboxFor !== undefined) {
        const inbox = this.inboxes.get(inboxFor) ?? []
        inbox.push({ seq: ++this.inboxSeq, message })
        this.inboxes.set(inboxFor, inbox)
      }
    }
    releaseCopyViews()
  }

  readAfter (stream: StreamKey, after: number, limit: number): StoredMessage[] {
    return this.streams.get(stream)?.readAfter(after, limit) ?? []
  }

  readBefore (stream: StreamKey, before: number | undefined, limit: number): StoredMessage[] {
    return this.streams.get(stream)?.readBefore(before, limit) ?? []
  }

  findByKey (idempotency: IdempotencyKey): StoredMessage | undefined {
    // Like the SQLite store: a message removed by retention is not found (its key went with it).
    return this.keys.stored(scopedKey(idempotency))
  }

  readInbox (userKey: string, limit: number): InboxEntry[] {
    // Messages removed by retention are not delivered, as in the SQLite store: their entries went with them (prune).
    return (this.inboxes.get(userKey) ?? []).slice(0, limit)
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

  readMarker (userKey: string, stream: StreamKey): ReadMarker {
    const lastId = this.lastId(stream)
    return { read: Math.min(this.markers.get(userKey)?.get(stream) ?? 0, lastId), lastId }
  }

  moveReadMarker (userKey: string, stream: StreamKey, id: number): MarkerMove {
    const lastId = this.lastId(stream)
    let marks = this.markers.get(userKey)
    const read = Math.min(marks?.get(stream) ?? 0, lastId)
    const to = Math.min(id, lastId)
    if (to <= read) return { read, lastId, moved: false }
    if (marks === undefined) this.markers.set(userKey, marks = new Map())
    marks.set(stream, to)
    return { read: to, lastId, moved: true }
  }

  prune (policy: RetentionPolicy, now: number): number {
    let removed = 0
    for (const stream of this.streams.values()) {
      let cut = 0
      if (policy.maxAgeMs !== undefined) cut = stream.countOlderThan(now - policy.maxAgeMs)
      if (policy.maxMessagesPerStream !== undefined) cut = Math.max(cut, stream.size - policy.maxMessagesPerStream)
      if (cut > 0) {
        stream.removeOldest(cut)
        this.keys.forgetRemoved(stream)
        removed += cut
      }
    }
    // The inbox entries of removed messages go too: each holds its message, and a user who never comes back never takes them.
    if (removed > 0) this.dropRemovedInboxEntries()
    return removed
  }

  close (): void {}

  private dropRemovedInboxEntries (): void {
    for (const [userKey, inbox] of this.inboxes) {
      const kept = inbox.filter(e => e.message.id > this.floor(e.message.stream))
      if (kept.length === 0) this.inboxes.delete(userKey)
      else if (kept.length < inbox.length) this.inboxes.set(userKey, kept)
    }
  }

  private rowsOf (key: StreamKey): MessageRows {
    let stream = this.streams.get(key)
    if (stream === undefined) {
      stream = new MessageRows(key)
      this.streams.set(key, stream)
    }
    return stream
  }
}
