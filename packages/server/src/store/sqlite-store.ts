import { existsSync } from 'node:fs'
import { join } from 'node:path'
import type { Database as DatabaseHandle, Statement } from 'better-sqlite3'
import { prepareDataDir, writeMarker } from './data-dir.js'
import { checkBeforeOpen } from './sqlite-integrity.js'
import { SqliteKeyScopes } from './sqlite-key-scopes.js'
import { MIGRATIONS } from './sqlite-migrations.js'
import { openDatabase } from './sqlite-open.js'
import { isSqliteError, storageError, StoreError, StoreErrorCodes } from './store-error.js'
import type { Account, IdempotencyKey, InboxEntry, LocalStore, MarkerMove, MessageWrite, ReadMarker, RetentionPolicy, StoredMessage, StreamKey } from './store.js'
import { scopedKey } from './store.js'

/**
 * `full`: every commit is synced to disk before acknowledgements go out
 * (survives power loss). `normal`: synced at checkpoints only (survives a
 * process crash; the last commits may be lost on power loss).
 */
export type Durability = 'full' | 'normal'

export interface SqliteStoreOptions {
  durability?: Durability
  /**
   * Allow creating a new, empty database where one existed (its file is
   * gone, its `-wal` or the directory's marker remains). Without it, that
   * is refused with `store_missing`: ids would restart at 1, accounts would
   * be gone. A new or empty directory needs no `init`.
   */
  init?: boolean
}

export const DATABASE_FILE = 'chat.db'
export { SQLITE_BINDING_MISSING } from './sqlite-open.js'

interface MessageRow {
  stream: string
  id: number
  room: string | null
  recipient: string | null
  sender: string
  text: string
  ts: number
}

function toMessage (row: MessageRow): StoredMessage {
  const message: StoredMessage = { stream: row.stream, id: row.id, from: row.sender, text: row.text, ts: row.ts }
  if (row.room !== null) message.room = row.room
  if (row.recipient !== null) message.to = row.recipient
  return message
}

/**
 * The embedded default store: one SQLite file in WAL mode under the data
 * directory. Opening it refuses a directory whose database went missing
 * (`store_missing`), a damaged file (`store_corrupt`, from `PRAGMA
 * quick_check`) and a file another server holds (`store_in_use`). Once open,
 * a read or a write that fails throws a `StoreError` `storage_error`.
 */
export class SqliteStore implements LocalStore {
  readonly path: string
  /** How long the startup check of an existing database took (ms); undefined for a database just created. */
  readonly checkMs: number | undefined
  /** Files left from a database that was gone, moved aside by `init`. */
  readonly movedAside: readonly string[]
  private readonly db: DatabaseHandle
  private readonly statements: {
    insertMessage: Statement
    bumpStream: Statement
    insertInbox: Statement
    lastId: Statement
    floor: Statement
    readAfter: Statement
    readBefore: Statement
    readLatest: Statement
    inbox: Statement
    clearInbox: Statement
    getAccount: Statement
    createAccount: Statement
    findByKey: Statement
    staleByStream: Statement
    streamsOverCount: Statement
    nthNewest: Statement
    deleteUpTo: Statement
    deleteInboxUpTo: Statement
    raiseFloor: Statement
    readMarker: Statement
    raiseMarker: Statement
    oldestTs: Statement
  }

  /** Keys are stored as `<key> <n>` (`scopedKey` with the scope's number for the scope). */
  private readonly keyScopes: SqliteKeyScopes

  private readonly appendAll: (writes: readonly MessageWrite[]) => void

  constructor (dataDir: string, options: SqliteStoreOptions = {}) {
    this.movedAside = prepareDataDir(dataDir, DATABASE_FILE, options.init === true)
    this.path = join(dataDir, DATABASE_FILE)
    const created = !existsSync(this.path)
    this.checkMs = created ? undefined : checkBeforeOpen(this.path, dataDir)
    this.db = openDatabase(this.path)
    try {
      this.db.pragma('journal_mode = WAL')
      this.db.pragma(`synchronous = ${options.durability === 'normal' ? 'NORMAL' : 'FULL'}`)
      // One server per data directory: its id sequences live in memory.
      this.db.pragma('locking_mode = EXCLUSIVE')
      this.migrate()
    } catch (err) {
      this.db.close()
      if (isSqliteError(err) && err.code === 'SQLITE_BUSY') {
        throw new StoreError(StoreErrorCodes.STORE_IN_USE, `${this.path} is in use by another server`, { cause: err })
      }
      throw err
    }
    writeMarker(dataDir, created)
    const db = this.db
    this.statements = {
      // A key stored before is no error: the row is not written (changes 0), and append marks the write a duplicate.
      insertMessage: db.prepare('INSERT INTO messages (stream, id, room, recipient, sender, text, ts, scoped_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ' +
        'ON CONFLICT (scoped_key) WHERE scoped_key IS NOT NULL DO NOTHING'),
      findByKey: db.prepare('SELECT * FROM messages WHERE scoped_key = ?'),
      bumpStream: db.prepare('INSERT INTO streams (stream, last_id) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET last_id = max(last_id, excluded.last_id)'),
      insertInbox: db.prepare('INSERT INTO inbox (user_key, stream, id) VALUES (?, ?, ?)'),
      lastId: db.prepare('SELECT last_id FROM streams WHERE stream = ?').pluck(),
      floor: db.prepare('SELECT floor FROM streams WHERE stream = ?').pluck(),
      readAfter: db.prepare('SELECT * FROM messages WHERE stream = ? AND id > ? ORDER BY id LIMIT ?'),
      readBefore: db.prepare('SELECT * FROM (SELECT * FROM messages WHERE stream = ? AND id < ? ORDER BY id DESC LIMIT ?) ORDER BY id'),
      readLatest: db.prepare('SELECT * FROM (SELECT * FROM messages WHERE stream = ? ORDER BY id DESC LIMIT ?) ORDER BY id'),
      inbox: db.prepare('SELECT i.seq AS inbox_seq, m.* FROM inbox i JOIN messages m ON m.stream = i.stream AND m.id = i.id WHERE i.user_key = ? ORDER BY i.seq LIMIT ?'),
      clearInbox: db.prepare('DELETE FROM inbox WHERE user_key = ? AND seq <= ?'),
      getAccount: db.prepare('SELECT name, password_hash AS passwordHash, created_at AS createdAt FROM accounts WHERE user_key = ?'),
      createAccount: db.prepare('INSERT INTO accounts (user_key, name, password_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      staleByStream: db.prepare('SELECT stream, max(id) AS upTo FROM messages WHERE ts < ? GROUP BY stream'),
      streamsOverCount: db.prepare('SELECT stream FROM streams WHERE last_id - floor > ?').pluck(),
      nthNewest: db.prepare('SELECT id FROM messages WHERE stream = ? ORDER BY id DESC LIMIT 1 OFFSET ?').pluck(),
      deleteUpTo: db.prepare('DELETE FROM messages WHERE stream = ? AND id <= ?'),
      deleteInboxUpTo: db.prepare('DELETE FROM inbox WHERE stream = ? AND id <= ?'),
      raiseFloor: db.prepare('UPDATE streams SET floor = max(floor, ?) WHERE stream = ?'),
      readMarker: db.prepare('SELECT id FROM read_markers WHERE user_key = ? AND stream = ?').pluck(),
      raiseMarker: db.prepare('INSERT INTO read_markers (user_key, stream, id) VALUES (?, ?, ?) ' +
        'ON CONFLICT (user_key, stream) DO UPDATE SET id = excluded.id WHERE excluded.id > read_markers.id'),
      oldestTs: db.prepare('SELECT min(ts) FROM messages').pluck()
    }
    this.keyScopes = new SqliteKeyScopes(db)
    this.appendAll = this.db.transaction((writes: readonly MessageWrite[]) => {
      const lastIds = new Map<StreamKey, number>()
      // Per stream, the ids given back by duplicates so far (made only once there is one).
      let unused: Map<StreamKey, number> | undefined
      for (const write of writes) {
        const { message: m, inboxFor, idempotency } = write
        if (unused !== undefined) m.id -= unused.get(m.stream) ?? 0
        const key = idempotency === undefined ? null : scopedKey({ scope: this.keyScopes.numberFor(idempotency.scope, m.ts), key: idempotency.key })
        const { changes } = this.statements.insertMessage.run(m.stream, m.id, m.room ?? null, m.to ?? null, m.from, m.text, m.ts, key)
        if (changes === 0) {
          // Its key is stored: the checks of the unique index found it, so no lookup was needed before.
          write.duplicateOf = this.storedWith(key!)
          unused ??= new Map()
          unused.set(m.stream, (unused.get(m.stream) ?? 0) + 1)
          continue
        }
        if (inboxFor !== undefined) this.statements.insertInbox.run(inboxFor, m.stream, m.id)
        lastIds.set(m.stream, m.id)
      }
      for (const [stream, id] of lastIds) this.statements.bumpStream.run(stream, id)
    })
  }

  /** Its keys are checked by the unique index as messages are written: see `append`. */
  readonly checksKeysAtAppend = true

  /** The schema version this file is at. */
  get schemaVersion (): number {
    return this.db.pragma('user_version', { simple: true }) as number
  }

  // Every read and write below: a failure of SQLite (a damaged page, an I/O error, a full disk) is a
  // StoreError storage_error, which the server answers as such for the request that needed it.

  lastId (stream: StreamKey): number {
    try {
      return (this.statements.lastId.get(stream) as number | undefined) ?? 0
    } catch (err) { throw storageError('reading a last id', err) }
  }

  floor (stream: StreamKey): number {
    try {
      return (this.statements.floor.get(stream) as number | undefined) ?? 0
    } catch (err) { throw storageError('reading a retention floor', err) }
  }

  append (writes: readonly MessageWrite[]): void {
    try {
      if (writes.length > 0) this.appendAll(writes)
      this.keyScopes.settle(true)
    } catch (err) {
      this.keyScopes.settle(false)
      throw storageError(`storing ${writes.length} message(s)`, err)
    }
  }

  readAfter (stream: StreamKey, after: number, limit: number): StoredMessage[] {
    try {
      return (this.statements.readAfter.all(stream, after, limit) as MessageRow[]).map(toMessage)
    } catch (err) { throw storageError('reading messages', err) }
  }

  readBefore (stream: StreamKey, before: number | undefined, limit: number): StoredMessage[] {
    try {
      const rows = before === undefined
        ? this.statements.readLatest.all(stream, limit)
        : this.statements.readBefore.all(stream, before, limit)
      return (rows as MessageRow[]).map(toMessage)
    } catch (err) { throw storageError('reading messages', err) }
  }

  /** The id and ts of the message stored with a key (as stored) that an insert just found (inside `append`'s transaction). */
  private storedWith (key: string): { id: number, ts: number } {
    const row = this.statements.findByKey.get(key) as MessageRow | undefined
    if (row === undefined) throw new Error(`a message was not written for its key, yet none is stored with it (${key})`)
    return { id: row.id, ts: row.ts }
  }

  findByKey (idempotency: IdempotencyKey): StoredMessage | undefined {
    try {
      const n = this.keyScopes.find(idempotency.scope)
      if (n === undefined) return undefined
      const row = this.statements.findByKey.get(scopedKey({ scope: n, key: idempotency.key })) as MessageRow | undefined
      return row === undefined ? undefined : toMessage(row)
    } catch (err) { throw storageError('reading an idempotency key', err) }
  }

  readInbox (userKey: string, limit: number): InboxEntry[] {
    try {
      return (this.statements.inbox.all(userKey, limit) as Array<MessageRow & { inbox_seq: number }>)
        .map(row => ({ seq: row.inbox_seq, message: toMessage(row) }))
    } catch (err) { throw storageError('reading an inbox', err) }
  }

  removeInbox (userKey: string, seq: number): void {
    try {
      this.statements.clearInbox.run(userKey, seq)
    } catch (err) { throw storageError('clearing an inbox', err) }
  }

  getAccount (userKey: string): Account | undefined {
    try {
      return this.statements.getAccount.get(userKey) as Account | undefined
    } catch (err) { throw storageError('reading an account', err) }
  }

  createAccount (userKey: string, account: Account): boolean {
    try {
      return this.statements.createAccount.run(userKey, account.name, account.passwordHash, account.createdAt).changes === 1
    } catch (err) { throw storageError('creating an account', err) }
  }

  readMarker (userKey: string, stream: StreamKey): ReadMarker {
    try {
      const lastId = this.lastId(stream)
      return { read: Math.min((this.statements.readMarker.get(userKey, stream) as number | undefined) ?? 0, lastId), lastId }
    } catch (err) { throw storageError('reading a read marker', err) }
  }

  /** Written only if it moves: a marker already there (most reads of a client that marks as it shows) costs no transaction, no sync. */
  moveReadMarker (userKey: string, stream: StreamKey, id: number): MarkerMove {
    const { read, lastId } = this.readMarker(userKey, stream)
    const to = Math.min(id, lastId)
    if (to <= read) return { read, lastId, moved: false }
    try {
      this.statements.raiseMarker.run(userKey, stream, to)
    } catch (err) { throw storageError('moving a read marker', err) }
    return { read: to, lastId, moved: true }
  }

  prune (policy: RetentionPolicy, now: number): number {
    try {
      return this.pruneNow(policy, now)
    } catch (err) { throw storageError('applying retention', err) }
  }

  private pruneNow (policy: RetentionPolicy, now: number): number {
    return this.db.transaction(() => {
      let removed = 0
      const removeUpTo = (stream: string, upTo: number): void => {
        removed += this.statements.deleteUpTo.run(stream, upTo).changes
        this.statements.deleteInboxUpTo.run(stream, upTo)
        this.statements.raiseFloor.run(upTo, stream)
      }
      if (policy.maxAgeMs !== undefined) {
        for (const { stream, upTo } of this.statements.staleByStream.all(now - policy.maxAgeMs) as Array<{ stream: string, upTo: number }>) {
          removeUpTo(stream, upTo)
        }
      }
      const keep = policy.maxMessagesPerStream
      if (keep !== undefined) {
        for (const stream of this.statements.streamsOverCount.all(keep) as string[]) {
          const upTo = this.statements.nthNewest.get(stream, keep) as number | undefined
          if (upTo !== undefined) removeUpTo(stream, upTo)
        }
      }
      if (removed > 0) this.keyScopes.forgetBefore(this.statements.oldestTs.get() as number | null)
      return removed
    })()
  }

  close (): void {
    if (this.db.open) this.db.close()
  }

  private migrate (): void {
    this.db.transaction(() => {
      const version = this.db.pragma('user_version', { simple: true }) as number
      if (version > MIGRATIONS.length) {
        throw new Error(`${this.path} has schema version ${version}, newer than this server (${MIGRATIONS.length})`)
      }
      for (let v = version; v < MIGRATIONS.length; v++) this.db.exec(MIGRATIONS[v])
      this.db.pragma(`user_version = ${MIGRATIONS.length}`)
    }).exclusive()
  }
}
