/**
 * What the server keeps: messages (rooms and direct conversations), the
 * offline inbox of registered users, accounts, and retention floors.
 *
 * The interface is synchronous on purpose: the embedded SQLite store answers
 * in microseconds, and a synchronous read lets the server switch a replaying
 * client from stored to live messages in one step, with no gap and no
 * duplicate at the seam.
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

/** A message to write, and who should get it at their next login if they are offline now. */
export interface MessageWrite {
  message: StoredMessage
  /** Lower-cased username whose offline inbox gets this message. */
  inboxFor?: string
  /** Recorded with the message, so a retry with the same key finds it, also after a restart. */
  idempotency?: IdempotencyKey
}

export interface Account {
  /** As registered (display case). */
  name: string
  /** scrypt parameters and output, encoded as in password-hasher.ts. */
  passwordHash: string
  createdAt: number
}

export interface RetentionPolicy {
  /** Messages older than this are removed. */
  maxAgeMs?: number
  /** Each room or conversation keeps at most this many of its newest messages. */
  maxMessagesPerStream?: number
}

export interface Store {
  /** Highest id ever stored in the stream, 0 if none. Survives restarts and retention. */
  lastId: (stream: StreamKey) => number
  /** Ids up to and including this were removed by retention (0 if none were). */
  floor: (stream: StreamKey) => number
  /** Writes messages atomically, in order: all or none (one transaction, one sync to disk). */
  append: (writes: readonly MessageWrite[]) => void
  /** Up to `limit` messages with id > `after`, oldest first. */
  readAfter: (stream: StreamKey, after: number, limit: number) => StoredMessage[]
  /** Up to `limit` newest messages with id < `before` (or the newest of all), oldest first. */
  readBefore: (stream: StreamKey, before: number | undefined, limit: number) => StoredMessage[]
  /** The message stored with this idempotency key, if any (and not removed by retention). */
  findByKey: (idempotency: IdempotencyKey) => StoredMessage | undefined
  /** The oldest `limit` messages of a user's offline inbox, in the order they were stored. */
  readInbox: (userKey: string, limit: number) => InboxEntry[]
  /** Removes a user's inbox entries up to and including `seq`. */
  removeInbox: (userKey: string, seq: number) => void
  getAccount: (userKey: string) => Account | undefined
  /** False if the name is registered already. */
  createAccount: (userKey: string, account: Account) => boolean
  /** Applies a retention policy; returns how many messages were removed. */
  prune: (policy: RetentionPolicy, now: number) => number
  close: () => void
}

export function roomStream (room: string): StreamKey {
  return `r:${room}`
}

/** The same key for (a, b) and (b, a). User keys are lower-cased names, which can't contain a space. */
export function conversationStream (userKeyA: string, userKeyB: string): StreamKey {
  return userKeyA < userKeyB ? `d:${userKeyA} ${userKeyB}` : `d:${userKeyB} ${userKeyA}`
}
