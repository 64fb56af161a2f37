import type { MaybePromise } from '../maybe-promise.js'

/**
 * What the server keeps: messages (rooms and direct conversations), the
 * offline inbox of registered users, accounts, and retention floors.
 *
 * `Store` is what the handlers read and write: each answer may be a promise
 * (a store shared between servers answers after a round trip). `LocalStore`
 * is the embedded kind, every answer at once: the single-process engine
 * commits to it, and the handlers go on with a plain answer in the same
 * step (`andThen`), as fast as when the interface was synchronous.
 */

/** A stream is one ordered sequence of ids: a room (`r:<room>`) or a direct conversation (`d:<userA> <userB>`). */
export type StreamKey = string

export interface StoredMessage {
  stream: StreamKey
  id: number
  /** Set for room messages. */
  room?: string
  /** Set for direct messages: the recipient's name. */
  to?: string
  from: string
  text: string
  ts: number
}

/** A message waiting in an offline inbox; `seq` orders the inbox. */
export interface InboxEntry {
  seq: number
  message: StoredMessage
}

/** An idempotency key: whose keys it is among, and the key the client chose. */
export interface IdempotencyKey {
  /**
   * The sender's key scope (`Session.keyScope`: a registered user's account,
   * a guest's session) and the kind of request (`/dm` for direct messages):
   * the same key in two scopes names two messages.
   */
  scope: string
  key: string
}

/**
 * A key and its scope as one string, `<key> <scope>`, as the stores keep
 * them (SQLite writes its number for the scope: `SqliteKeyScopes`): a scope
 * holds no space, so the last space splits them. The key
 * first: keys made time first (as the SDK makes them) sort in the order
 * they were made, whoever made them (SQLite's index of keys grows at its end).
 */
export function scopedKey ({ scope, key }: IdempotencyKey): string {
  return `${key} ${scope}`
}

/** A message to write, and who should get it at their next login if they are offline now. */
export interface MessageWrite {
  message: StoredMessage
  /** Lower-cased username whose offline inbox gets this message. */
  inboxFor?: string
  /** Recorded with the message, so a retry with the same key finds it, also after a restart. */
  idempotency?: IdempotencyKey
  /**
   * Set by a commit that checks keys as it writes (`LocalStore.checksKeysAtAppend`,
   * `Engine.checksKeysAtCommit`): the key was stored before, with this
   * message. This write was not stored, and used no id.
   */
  duplicateOf?: { id: number, ts: number }
  /** The text's UTF-8 bytes, when the writer has them at hand (a text read in place from its frame): a store may copy them rather than encode the text. */
  textBytes?: TextBytes
}

/** A text's UTF-8 bytes, `bytes[start, end)`, or (`bytes` undefined) none at hand. */
export interface TextBytes {
  bytes: Uint8Array | undefined
  start: number
  end: number
}

export interface Account {
  /** As registered (display case). */
  name: string
  /** scrypt parameters and output, encoded as in password-hasher.ts. */
  passwordHash: string
  createdAt: number
}

/** A user's read marker of a stream (`read`: the newest id they read, 0 if never marked) and the stream's newest id. */
export interface ReadMarker {
  read: number
  lastId: number
}

/** A marker after a move: `moved` if it went up. */
export interface MarkerMove extends ReadMarker {
  moved: boolean
}

export interface RetentionPolicy {
  /** Messages older than this are removed. */
  maxAgeMs?: number
  /** Each room or conversation keeps at most this many of its newest messages. */
  maxMessagesPerStream?: number
}

/**
 * The handlers' store. A method may answer with a promise; a failure (thrown,
 * or a rejected promise) is a `StoreError` `storage_error`. Messages are
 * written by the engine (a `LocalStore`'s `append`, or a shared engine's own
 * commit), not through this interface.
 */
export interface Store {
  /** Highest id ever stored in the stream, 0 if none. Survives restarts and retention. */
  lastId: (stream: StreamKey) => MaybePromise<number>
  /** Ids up to and including this were removed by retention (0 if none were). */
  floor: (stream: StreamKey) => MaybePromise<number>
  /** Up to `limit` messages with id > `after`, oldest first. */
  readAfter: (stream: StreamKey, after: number, limit: number) => MaybePromise<StoredMessage[]>
  /** Up to `limit` newest messages with id < `before` (or the newest of all), oldest first. */
  readBefore: (stream: StreamKey, before: number | undefined, limit: number) => MaybePromise<StoredMessage[]>
  /** The message stored with this idempotency key, if any (and not removed by retention). */
  findByKey: (idempotency: IdempotencyKey) => MaybePromise<StoredMessage | undefined>
  /** The oldest `limit` messages of a user's offline inbox, in the order they were stored. */
  readInbox: (userKey: string, limit: number) => MaybePromise<InboxEntry[]>
  /** Removes a user's inbox entries up to and including `seq`. */
  removeInbox: (userKey: string, seq: number) => MaybePromise<void>
  getAccount: (userKey: string) => MaybePromise<Account | undefined>
  /** False if the name is registered already. */
  createAccount: (userKey: string, account: Account) => MaybePromise<boolean>
  /**
   * A registered user's read marker of a stream (a room, or a conversation),
   * never above the stream's newest id, and that id. Markers are kept per
   * user key and stream: a guest has none.
   */
  readMarker: (userKey: string, stream: StreamKey) => MaybePromise<ReadMarker>
  /**
   * Moves the marker up to `id`, or to the stream's newest id if `id` is past
   * it; never down (atomically, also between servers). Answers the marker as
   * it now stands.
   */
  moveReadMarker: (userKey: string, stream: StreamKey, id: number) => MaybePromise<MarkerMove>
  /** Applies a retention policy; returns how many messages were removed. */
  prune: (policy: RetentionPolicy, now: number) => MaybePromise<number>
  close: () => MaybePromise<void>
}

/**
 * A store in this process (SQLite, memory): every answer at once, and
 * `append`, the group commit's write. What `LocalEngine` runs on (its ids
 * continue from `lastId`, its join reads `lastId` before it changes anything).
 */
export interface LocalStore extends Store {
  lastId: (stream: StreamKey) => number
  floor: (stream: StreamKey) => number
  /**
   * Writes messages atomically, in order: all or none (one transaction, one
   * sync to disk). Each stream's writes come with the ids that follow its
   * last one, in order. A store that `checksKeysAtAppend` writes no message
   * whose idempotency key it holds already: it marks that write
   * `duplicateOf` (the stored message's id and ts) and gives its id to the
   * stream's next write of the batch (each one after it takes one less), so
   * ids stay gapless.
   */
  append: (writes: readonly MessageWrite[]) => void
  /**
   * True: `append` finds keys stored before, as it writes (as a unique index
   * does, at no extra cost), so the built-in engine checks keys at its
   * commit and no send is looked up in the store first. Else every keyed
   * send is looked up (`findByKey`) before it is published.
   */
  readonly checksKeysAtAppend?: boolean
  readAfter: (stream: StreamKey, after: number, limit: number) => StoredMessage[]
  readBefore: (stream: StreamKey, before: number | undefined, limit: number) => StoredMessage[]
  findByKey: (idempotency: IdempotencyKey) => StoredMessage | undefined
  readInbox: (userKey: string, limit: number) => InboxEntry[]
  removeInbox: (userKey: string, seq: number) => void
  getAccount: (userKey: string) => Account | undefined
  createAccount: (userKey: string, account: Account) => boolean
  readMarker: (userKey: string, stream: StreamKey) => ReadMarker
  moveReadMarker: (userKey: string, stream: StreamKey, id: number) => MarkerMove
  prune: (policy: RetentionPolicy, now: number) => number
  close: () => void
}

/** A store with `append` is a `LocalStore` (as every store was before the interface could answer later). */
export function isLocalStore (store: Store): store is LocalStore {
  return typeof (store as Partial<LocalStore>).append === 'function'
}

export function roomStream (room: string): StreamKey {
  return `r:${room}`
}

/** The same key for (a, b) and (b, a). User keys are lower-cased names, which can't contain a space. */
export function conversationStream (userKeyA: string, userKeyB: string): StreamKey {
  return userKeyA < userKeyB ? `d:${userKeyA} ${userKeyB}` : `d:${userKeyB} ${userKeyA}`
}
