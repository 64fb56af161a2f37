import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Harness } from '@chat/testing'
import { conversationStream, DATABASE_FILE, MemoryStore, roomStream, SqliteStore } from '../src/index.js'
import type { LocalStore, MessageWrite, StoredMessage } from '../src/index.js'
// The migration list is internal; the schema version must equal its length.
import { MIGRATIONS } from '../src/store/sqlite-migrations.js'

interface Closable { close: () => void }

/**
 * A fresh temporary directory for one test. After the test (passed or not),
 * everything handed to `keep` is closed, then the directory is removed.
 */
function tempDir (t: TestContext): { dir: string, keep: <T extends Closable>(closable: T) => T } {
  const h = new Harness(t)
  const dir = h.tempDir('chat-store-test-')
  return { dir, keep: closable => { h.defer('closing a store', () => { closable.close() }); return closable } }
}

/** A database file in `dir` as a server of schema `version` left it (no rows yet); close it before opening a store. */
function databaseAt (dir: string, version: number): InstanceType<typeof Database> {
  const raw = new Database(join(dir, DATABASE_FILE))
  raw.pragma('journal_mode = WAL')
  for (const migration of MIGRATIONS.slice(0, version)) raw.exec(migration)
  raw.pragma(`user_version = ${version}`)
  return raw
}

const ROOM = roomStream('general')
const OTHER_ROOM = roomStream('random')
const ALICE_BOB = conversationStream('alice', 'bob')
const BOB_CAROL = conversationStream('bob', 'carol')

function roomMessage (stream: string, id: number, ts = 1_000 * id, from = 'alice'): StoredMessage {
  return { stream, id, room: stream.slice(2), from, text: `${stream} #${id} ✓`, ts }
}

function directMessage (stream: string, id: number, from: string, to: string, ts = 1_000 * id): StoredMessage {
  return { stream, id, to, from, text: `dm ${id} from ${from}`, ts }
}

/** Appends `count` messages to `stream` (ids after its last), in batches of `batch`. */
function fill (store: LocalStore, stream: string, count: number, batch = 7): StoredMessage[] {
  const first = store.lastId(stream) + 1
  const messages = Array.from({ length: count }, (_, i) => roomMessage(stream, first + i))
  for (let i = 0; i < messages.length; i += batch) {
    store.append(messages.slice(i, i + batch).map((message): MessageWrite => ({ message })))
  }
  return messages
}

/** Reads a user's whole inbox and removes what was read, as a delivery does. */
function takeInbox (store: LocalStore, userKey: string): StoredMessage[] {
  const entries = store.readInbox(userKey, 1_000_000)
  if (entries.length > 0) store.removeInbox(userKey, entries[entries.length - 1].seq)
  return entries.map(e => e.message)
}

function ids (messages: StoredMessage[]): number[] {
  return messages.map(m => m.id)
}

function range (from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

interface Subject {
  name: string
  /** A new, empty store owned by the test (closed after it). */
  open: (t: TestContext) => LocalStore
}

const subjects: Subject[] = [
  {
    name: 'MemoryStore',
    open: t => {
      const store = new MemoryStore()
      t.after(() => { store.close() })
      return store
    }
  },
  {
    name: 'SqliteStore',
    open: t => {
      const { dir, keep } = tempDir(t)
      return keep(new SqliteStore(dir))
    }
  }
]

for (const subject of subjects) {
  describe(`${subject.name}: the LocalStore contract`, () => {
    it('an unknown stream is empty: lastId 0, floor 0, nothing to read', t => {
      const store = subject.open(t)
      assert.equal(store.lastId(ROOM), 0)
      assert.equal(store.floor(ROOM), 0)
      assert.deepEqual(store.readAfter(ROOM, 0, 10), [])
      assert.deepEqual(store.readBefore(ROOM, undefined, 10), [])
      assert.deepEqual(store.readBefore(ROOM, 5, 10), [])
      assert.deepEqual(store.readInbox('bob', 10), [])
      assert.equal(store.getAccount('bob'), undefined)
      assert.equal(store.prune({ maxAgeMs: 1, maxMessagesPerStream: 1 }, Date.now()), 0)
    })

    it('append keeps every field; readAfter pages forward, readBefore pages backward, oldest first', t => {
      const store = subject.open(t)
      const written = fill(store, ROOM, 25)
      // Another stream in between must not show up in the first one.
      const other = fill(store, OTHER_ROOM, 3)
      const dm = directMessage(ALICE_BOB, 1, 'alice', 'bob')
      store.append([{ message: dm }])

      assert.equal(store.lastId(ROOM), 25)
      assert.equal(store.lastId(OTHER_ROOM), 3)
      assert.equal(store.lastId(ALICE_BOB), 1)

      assert.deepEqual(store.readAfter(ROOM, 0, 10), written.slice(0, 10), 'fields round-trip exactly')
      assert.deepEqual(ids(store.readAfter(ROOM, 10, 10)), range(11, 20))
      assert.deepEqual(ids(store.readAfter(ROOM, 20, 10)), range(21, 25))
      assert.deepEqual(store.readAfter(ROOM, 25, 10), [])
      assert.deepEqual(store.readAfter(ROOM, 1_000, 10), [])

      assert.deepEqual(ids(store.readBefore(ROOM, undefined, 10)), range(16, 25))
      assert.deepEqual(ids(store.readBefore(ROOM, 16, 10)), range(6, 15))
      assert.deepEqual(ids(store.readBefore(ROOM, 6, 10)), range(1, 5))
      assert.deepEqual(store.readBefore(ROOM, 1, 10), [])
      assert.deepEqual(ids(store.readBefore(ROOM, 1_000, 3)), [23, 24, 25])

      assert.deepEqual(store.readAfter(OTHER_ROOM, 0, 100), other)
      assert.deepEqual(store.readBefore(ALICE_BOB, undefined, 5), [dm], 'a direct message keeps `to` and has no `room`')
    })

    it('paging forward and backward through a long stream sees each message once', t => {
      const store = subject.open(t)
      fill(store, ROOM, 1_003, 50)
      const forward: number[] = []
      for (let after = 0; ;) {
        const page = store.readAfter(ROOM, after, 100)
        if (page.length === 0) break
        forward.push(...ids(page))
        after = page[page.length - 1].id
      }
      assert.deepEqual(forward, range(1, 1_003))
      const backward: number[] = []
      for (let before: number | undefined; ;) {
        const page = store.readBefore(ROOM, before, 100)
        if (page.length === 0) break
        backward.unshift(...ids(page))
        before = page[0].id
      }
      assert.deepEqual(backward, range(1, 1_003))
    })

    it('prune by count keeps the newest n of each stream and raises floor()', t => {
      const store = subject.open(t)
      fill(store, ROOM, 25)
      fill(store, OTHER_ROOM, 4)
      assert.equal(store.prune({ maxMessagesPerStream: 10 }, Date.now()), 15)
      assert.equal(store.floor(ROOM), 15)
      assert.equal(store.floor(OTHER_ROOM), 0, 'a stream within the limit is untouched')
      assert.equal(store.lastId(ROOM), 25)
      assert.deepEqual(ids(store.readAfter(ROOM, 0, 100)), range(16, 25))
      assert.deepEqual(ids(store.readBefore(ROOM, undefined, 100)), range(16, 25))
      assert.deepEqual(ids(store.readAfter(OTHER_ROOM, 0, 100)), range(1, 4))
      assert.equal(store.prune({ maxMessagesPerStream: 10 }, Date.now()), 0, 'pruning again removes nothing')
      fill(store, ROOM, 5)
      assert.equal(store.prune({ maxMessagesPerStream: 10 }, Date.now()), 5)
      assert.equal(store.floor(ROOM), 20)
      assert.deepEqual(ids(store.readAfter(ROOM, 0, 100)), range(21, 30))
    })

    it('prune by age removes messages older than maxAgeMs and raises floor()', t => {
      const store = subject.open(t)
      fill(store, ROOM, 20) // ts = 1000 * id
      fill(store, OTHER_ROOM, 3)
      // Older than 10 500 - 5 000 = 5 500: ts 1000..5000, ids 1..5 of ROOM and all three of OTHER_ROOM.
      assert.equal(store.prune({ maxAgeMs: 5_000 }, 10_500), 8)
      assert.equal(store.floor(ROOM), 5)
      assert.equal(store.floor(OTHER_ROOM), 3)
      assert.deepEqual(ids(store.readAfter(ROOM, 0, 100)), range(6, 20))
      assert.deepEqual(store.readAfter(OTHER_ROOM, 0, 100), [])
      assert.equal(store.lastId(OTHER_ROOM), 3)
    })

    it('both policies at once: whichever removes more wins', t => {
      const store = subject.open(t)
      fill(store, ROOM, 30)
      // Age alone would cut ids 1..5, count alone ids 1..20.
      assert.equal(store.prune({ maxAgeMs: 5_000, maxMessagesPerStream: 10 }, 10_500), 20)
      assert.equal(store.floor(ROOM), 20)
      // Now age cuts more than count: ts < 26 000 - 1 000.
      assert.equal(store.prune({ maxAgeMs: 1_000, maxMessagesPerStream: 10 }, 26_000), 4)
      assert.equal(store.floor(ROOM), 24)
      assert.deepEqual(ids(store.readAfter(ROOM, 0, 100)), range(25, 30))
    })

    it('lastId survives retention pruning everything; new ids continue after it', t => {
      const store = subject.open(t)
      fill(store, ROOM, 12)
      assert.equal(store.prune({ maxAgeMs: 1 }, 1_000_000), 12)
      assert.equal(store.lastId(ROOM), 12)
      assert.equal(store.floor(ROOM), 12)
      assert.deepEqual(store.readAfter(ROOM, 0, 100), [])
      assert.deepEqual(store.readBefore(ROOM, undefined, 100), [])
      store.append([{ message: roomMessage(ROOM, 13, 2_000_000) }])
      assert.equal(store.lastId(ROOM), 13)
      assert.deepEqual(ids(store.readAfter(ROOM, 12, 100)), [13])
      assert.equal(store.floor(ROOM), 12, 'appending does not lower the floor')
    })

    it('readInbox pages a user\'s offline inbox in the order stored; removeInbox drops entries up to a seq', t => {
      const store = subject.open(t)
      // Interleaved across two conversations, in two batches, with a message for someone else.
      store.append([
        { message: directMessage(ALICE_BOB, 1, 'alice', 'bob'), inboxFor: 'bob' },
        { message: directMessage(BOB_CAROL, 1, 'carol', 'bob'), inboxFor: 'bob' },
        { message: directMessage(ALICE_BOB, 2, 'bob', 'alice'), inboxFor: 'alice' }
      ])
      store.append([
        { message: directMessage(ALICE_BOB, 3, 'alice', 'bob'), inboxFor: 'bob' },
        { message: roomMessage(ROOM, 1) },
        { message: directMessage(BOB_CAROL, 2, 'carol', 'bob'), inboxFor: 'bob' }
      ])
      const all = store.readInbox('bob', 100)
      assert.deepEqual(all.map(e => `${e.message.stream}/${e.message.id}/${e.message.from}`), [
        `${ALICE_BOB}/1/alice`, `${BOB_CAROL}/1/carol`, `${ALICE_BOB}/3/alice`, `${BOB_CAROL}/2/carol`
      ])
      assert.deepEqual(all[0].message, directMessage(ALICE_BOB, 1, 'alice', 'bob'))
      all.forEach((e, i) => { if (i > 0) assert.ok(e.seq > all[i - 1].seq, 'seq increases in inbox order') })
      assert.deepEqual(store.readInbox('bob', 2), all.slice(0, 2), 'a page is the oldest entries')
      assert.deepEqual(store.readInbox('bob', 100), all, 'reading removes nothing')

      store.removeInbox('bob', all[1].seq)
      assert.deepEqual(store.readInbox('bob', 100), all.slice(2))
      store.removeInbox('bob', all[1].seq)
      assert.deepEqual(store.readInbox('bob', 100), all.slice(2), 'removing again is harmless')
      store.removeInbox('bob', all[3].seq)
      assert.deepEqual(store.readInbox('bob', 100), [])
      assert.deepEqual(ids(takeInbox(store, 'alice')), [2], 'another user\'s inbox is untouched')
      // The messages stay in their conversations.
      assert.deepEqual(ids(store.readAfter(ALICE_BOB, 0, 10)), [1, 2, 3])
      // Entries added later come after, with higher seqs.
      store.append([{ message: directMessage(ALICE_BOB, 4, 'alice', 'bob'), inboxFor: 'bob' }])
      const later = store.readInbox('bob', 100)
      assert.deepEqual(later.map(e => e.message.id), [4])
      assert.ok(later[0].seq > all[3].seq)
    })

    it('readInbox leaves out messages retention removed meanwhile', t => {
      const store = subject.open(t)
      store.append([
        { message: directMessage(ALICE_BOB, 1, 'alice', 'bob', 1_000), inboxFor: 'bob' },
        { message: directMessage(ALICE_BOB, 2, 'alice', 'bob', 9_000), inboxFor: 'bob' }
      ])
      assert.equal(store.prune({ maxAgeMs: 5_000 }, 10_000), 1)
      assert.deepEqual(ids(takeInbox(store, 'bob')), [2])
      assert.deepEqual(store.readInbox('bob', 10), [])
    })

    it('findByKey finds a message by its sender and idempotency key, until retention removes it', t => {
      const store = subject.open(t)
      const first = roomMessage(ROOM, 1, 1_000)
      const second = roomMessage(ROOM, 2, 9_000, 'bob')
      store.append([
        { message: first, idempotency: { scope: 'alice', key: 'k-1' } },
        { message: second, idempotency: { scope: 'bob', key: 'k-1' } },
        { message: roomMessage(ROOM, 3, 9_500) }
      ])
      assert.deepEqual(store.findByKey({ scope: 'alice', key: 'k-1' }), first)
      assert.deepEqual(store.findByKey({ scope: 'bob', key: 'k-1' }), second, 'keys are per scope')
      assert.equal(store.findByKey({ scope: 'alice', key: 'k-2' }), undefined)
      assert.equal(store.findByKey({ scope: 'carol', key: 'k-1' }), undefined)
      assert.equal(store.prune({ maxAgeMs: 5_000 }, 10_000), 1)
      assert.equal(store.findByKey({ scope: 'alice', key: 'k-1' }), undefined, 'a removed message is not found')
      assert.deepEqual(store.findByKey({ scope: 'bob', key: 'k-1' }), second)
    })

    it('append checks keys as it writes: a key stored before is not written again, its write marked duplicateOf, its id given to the next message of its stream', t => {
      const store = subject.open(t)
      assert.equal(store.checksKeysAtAppend, true)
      const first = roomMessage(ROOM, 1, 1_000)
      store.append([{ message: first, idempotency: { scope: 'alice', key: 'k-1' } }, { message: directMessage(ALICE_BOB, 1, 'alice', 'bob'), idempotency: { scope: 'alice/dm', key: 'd-1' } }])
      // One batch: a retry of each, new messages around and after them in both streams, another scope's same key.
      const batch: MessageWrite[] = [
        { message: roomMessage(ROOM, 2, 2_000), idempotency: { scope: 'alice', key: 'k-2' } },
        { message: roomMessage(ROOM, 3, 3_000), idempotency: { scope: 'alice', key: 'k-1' } },
        { message: directMessage(ALICE_BOB, 2, 'alice', 'bob', 3_500), inboxFor: 'bob', idempotency: { scope: 'alice/dm', key: 'd-1' } },
        { message: roomMessage(ROOM, 4, 4_000, 'bob'), idempotency: { scope: 'bob', key: 'k-1' } },
        { message: roomMessage(ROOM, 5, 5_000) },
        { message: directMessage(ALICE_BOB, 3, 'alice', 'bob', 5_500), inboxFor: 'bob' },
        { message: roomMessage(OTHER_ROOM, 1, 6_000), idempotency: { scope: 'alice', key: 'k-9' } },
        { message: roomMessage(ROOM, 6, 7_000), idempotency: { scope: 'alice', key: 'k-2' } }
      ]
      store.append(batch)
      assert.deepEqual(batch.map(w => w.duplicateOf), [undefined, { id: 1, ts: 1_000 }, { id: 1, ts: 1_000 }, undefined, undefined, undefined, undefined, { id: 2, ts: 2_000 }],
        'the retries of keys stored before, and of one stored earlier in the same batch')
      assert.deepEqual(store.readAfter(ROOM, 0, 10).map(m => [m.id, m.from, m.ts]), [[1, 'alice', 1_000], [2, 'alice', 2_000], [3, 'bob', 4_000], [4, 'alice', 5_000]], 'ids gapless')
      assert.deepEqual(batch.map(w => w.message.id), [2, 3, 2, 3, 4, 2, 1, 5], 'the writes after a duplicate took the ids it left')
      assert.deepEqual(store.readAfter(ALICE_BOB, 0, 10).map(m => [m.id, m.ts]), [[1, 1_000], [2, 5_500]])
      assert.deepEqual(ids(takeInbox(store, 'bob')), [2], 'a duplicate\'s inbox entry is not written')
      assert.equal(store.lastId(ROOM), 4)
      assert.equal(store.lastId(ALICE_BOB), 2)
      assert.equal(store.findByKey({ scope: 'bob', key: 'k-1' })?.id, 3)
      // Retention takes a key with its message: the same key then names a new message.
      assert.equal(store.prune({ maxAgeMs: 1_500 }, 2_600), 2)
      const again: MessageWrite = { message: roomMessage(ROOM, 5, 8_000), idempotency: { scope: 'alice', key: 'k-1' } }
      store.append([again])
      assert.equal(again.duplicateOf, undefined)
      assert.equal(store.findByKey({ scope: 'alice', key: 'k-1' })?.id, 5)
    })

    it('createAccount refuses a user key registered already, keeping the first account', t => {
      const store = subject.open(t)
      const first = { name: 'Alice', passwordHash: 'scrypt$first', createdAt: 1_700_000_000_000 }
      assert.equal(store.createAccount('alice', first), true)
      assert.equal(store.createAccount('alice', { name: 'ALICE', passwordHash: 'scrypt$second', createdAt: 2 }), false)
      assert.deepEqual(store.getAccount('alice'), first)
      assert.equal(store.getAccount('bob'), undefined)
      assert.equal(store.createAccount('bob', { name: 'bob', passwordHash: 'x', createdAt: 3 }), true)
      assert.equal(store.getAccount('bob')?.name, 'bob')
    })
  })
}

describe('SqliteStore: the file', () => {
  it('creates the directory, the database and its schema on first open (schemaVersion = number of migrations)', t => {
    const { dir: root, keep } = tempDir(t)
    const dir = join(root, 'nested', 'data')
    const store = keep(new SqliteStore(dir))
    assert.equal(store.path, join(dir, DATABASE_FILE))
    assert.ok(existsSync(store.path))
    assert.ok(MIGRATIONS.length >= 1)
    assert.equal(store.schemaVersion, MIGRATIONS.length)
    store.close()

    // What is on disk, read with SQLite directly once the store let go of the file.
    const db = keep(new Database(join(dir, DATABASE_FILE), { readonly: true }))
    assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length)
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal')
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[])
      .filter(name => !name.startsWith('sqlite_'))
    assert.deepEqual(tables, ['accounts', 'inbox', 'key_scopes', 'messages', 'read_markers', 'streams'])
  })

  it('reopening keeps messages, last ids, floors, inboxes, idempotency keys and accounts, and runs no migration again', t => {
    const { dir, keep } = tempDir(t)
    const first = keep(new SqliteStore(dir))
    fill(first, ROOM, 30)
    first.append([{ message: directMessage(ALICE_BOB, 1, 'alice', 'bob'), inboxFor: 'bob', idempotency: { scope: 'alice', key: 'k' } }])
    first.createAccount('bob', { name: 'Bob', passwordHash: 'h', createdAt: 5 })
    first.prune({ maxMessagesPerStream: 20 }, Date.now())
    first.close()
    first.close() // closing twice is harmless

    const second = keep(new SqliteStore(dir))
    assert.equal(second.schemaVersion, MIGRATIONS.length)
    assert.equal(second.lastId(ROOM), 30)
    assert.equal(second.floor(ROOM), 10)
    assert.deepEqual(ids(second.readAfter(ROOM, 0, 100)), range(11, 30))
    assert.deepEqual(second.readAfter(ROOM, 10, 1)[0], roomMessage(ROOM, 11))
    assert.deepEqual(second.getAccount('bob'), { name: 'Bob', passwordHash: 'h', createdAt: 5 })
    assert.deepEqual(second.findByKey({ scope: 'alice', key: 'k' }), directMessage(ALICE_BOB, 1, 'alice', 'bob'))
    assert.deepEqual(takeInbox(second, 'bob'), [directMessage(ALICE_BOB, 1, 'alice', 'bob')])
    second.close()
    // What was removed from the inbox stays removed.
    const third = keep(new SqliteStore(dir))
    assert.deepEqual(third.readInbox('bob', 10), [])
    fill(third, ROOM, 1)
    assert.equal(third.lastId(ROOM), 31)
  })

  it('a database at any earlier schema version is migrated to the current one, keeping its data', t => {
    // Each earlier version, built the way that version of the server left it.
    for (let version = 1; version < MIGRATIONS.length; version++) {
      const { dir, keep } = tempDir(t)
      const raw = databaseAt(dir, version)
      // Version 1's columns exist in every later version.
      raw.prepare('INSERT INTO messages (stream, id, room, recipient, sender, text, ts) VALUES (?, ?, ?, ?, ?, ?, ?)').run(ROOM, 1, 'general', null, 'alice', 'from an old server', 1_000)
      raw.prepare('INSERT INTO streams (stream, last_id, floor) VALUES (?, ?, ?)').run(ROOM, 1, 0)
      raw.prepare('INSERT INTO accounts (user_key, name, password_hash, created_at) VALUES (?, ?, ?, ?)').run('alice', 'Alice', 'h', 7)
      raw.close()

      const store = keep(new SqliteStore(dir))
      assert.equal(store.schemaVersion, MIGRATIONS.length, `migrated from version ${version}`)
      assert.deepEqual(store.readAfter(ROOM, 0, 10), [{ stream: ROOM, id: 1, room: 'general', from: 'alice', text: 'from an old server', ts: 1_000 }])
      assert.equal(store.lastId(ROOM), 1)
      assert.deepEqual(store.getAccount('alice'), { name: 'Alice', passwordHash: 'h', createdAt: 7 })
      store.append([{ message: roomMessage(ROOM, 2), idempotency: { scope: 'alice', key: 'k' } }])
      assert.deepEqual(ids(store.readAfter(ROOM, 0, 10)), [1, 2])
      assert.equal(store.findByKey({ scope: 'alice', key: 'k' })?.id, 2)
      store.close()
      assert.equal(keep(new SqliteStore(dir)).schemaVersion, MIGRATIONS.length, 'and reopens at the current version')
    }
  })

  it('keys stored under schema version 2 are found after the migration to 3 (the index by key first): a retry of one is a duplicate', t => {
    const { dir, keep } = tempDir(t)
    const raw = databaseAt(dir, 2)
    raw.prepare('INSERT INTO messages (stream, id, room, recipient, sender, text, ts, sender_key, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(ROOM, 1, 'general', null, 'alice', 'keyed', 1_000, 'alice', 'k-1')
    raw.prepare('INSERT INTO streams (stream, last_id, floor) VALUES (?, ?, ?)').run(ROOM, 1, 0)
    raw.close()
    const store = keep(new SqliteStore(dir))
    assert.ok(store.schemaVersion >= 3)
    assert.equal(store.findByKey({ scope: 'alice', key: 'k-1' })?.text, 'keyed')
    const retry: MessageWrite = { message: roomMessage(ROOM, 2), idempotency: { scope: 'alice', key: 'k-1' } }
    store.append([retry])
    assert.deepEqual(retry.duplicateOf, { id: 1, ts: 1_000 })
    assert.deepEqual(ids(store.readAfter(ROOM, 0, 10)), [1])
  })

  it('keys stored under schema version 4 (key and scope in two columns) are found after the migration to 5 (one column): retries are duplicates, keys of other scopes are not', t => {
    const { dir, keep } = tempDir(t)
    const raw = databaseAt(dir, 4)
    const insert = raw.prepare('INSERT INTO messages (stream, id, room, recipient, sender, text, ts, sender_key, idempotency_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)')
    insert.run(ROOM, 1, 'general', null, 'alice', 'keyed', 1_000, 'alice', 'k 1') // a key may hold a space; a scope never does
    insert.run(ROOM, 2, 'general', null, 'bob', 'unkeyed', 2_000, null, null)
    raw.prepare('INSERT INTO streams (stream, last_id, floor) VALUES (?, ?, ?)').run(ROOM, 2, 0)
    raw.close()
    const store = keep(new SqliteStore(dir))
    assert.equal(store.schemaVersion, MIGRATIONS.length)
    assert.equal(store.findByKey({ scope: 'alice', key: 'k 1' })?.text, 'keyed')
    assert.equal(store.findByKey({ scope: 'alice', key: 'k' }), undefined)
    const retry: MessageWrite = { message: roomMessage(ROOM, 3), idempotency: { scope: 'alice', key: 'k 1' } }
    const other: MessageWrite = { message: roomMessage(ROOM, 4), idempotency: { scope: 'bob', key: 'k 1' } }
    store.append([retry, other])
    assert.deepEqual(retry.duplicateOf, { id: 1, ts: 1_000 })
    assert.equal(other.duplicateOf, undefined)
    assert.deepEqual(ids(store.readAfter(ROOM, 0, 10)), [1, 2, 3])
  })

  it('keys stored under schema version 5 (`<key> <scope>`) are found after the migration to 6 (scopes by number): retries are duplicates, keys of other scopes are not', t => {
    const { dir, keep } = tempDir(t)
    const raw = databaseAt(dir, 5)
    const insert = raw.prepare('INSERT INTO messages (stream, id, room, recipient, sender, text, ts, scoped_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
    insert.run(ROOM, 1, 'general', null, 'alice', 'alice keyed', 1_000, 'k é 1 alice') // a key may hold spaces; a scope never does
    insert.run(ROOM, 2, 'general', null, 'bob', 'bob keyed', 2_000, 'k é 1 bob~Lineage-12ch')
    insert.run(ROOM, 3, 'general', null, 'bob', 'bob dm keyed', 3_000, 'k é 1 bob~Lineage-12ch/dm')
    insert.run(ROOM, 4, 'general', null, 'carol', 'unkeyed', 4_000, null)
    raw.prepare('INSERT INTO streams (stream, last_id, floor) VALUES (?, ?, ?)').run(ROOM, 4, 0)
    raw.close()
    const store = keep(new SqliteStore(dir))
    assert.equal(store.schemaVersion, MIGRATIONS.length)
    assert.equal(store.findByKey({ scope: 'alice', key: 'k é 1' })?.text, 'alice keyed')
    assert.equal(store.findByKey({ scope: 'bob~Lineage-12ch', key: 'k é 1' })?.text, 'bob keyed')
    assert.equal(store.findByKey({ scope: 'bob~Lineage-12ch/dm', key: 'k é 1' })?.text, 'bob dm keyed')
    assert.equal(store.findByKey({ scope: 'alice', key: 'k é' }), undefined)
    assert.equal(store.findByKey({ scope: 'carol', key: 'k é 1' }), undefined)
    const retries: MessageWrite[] = [
      { message: roomMessage(ROOM, 5), idempotency: { scope: 'bob~Lineage-12ch', key: 'k é 1' } },
      { message: roomMessage(ROOM, 6), idempotency: { scope: 'alice', key: 'k é 1' } }
    ]
    const fresh: MessageWrite = { message: roomMessage(ROOM, 7), idempotency: { scope: 'carol', key: 'k é 1' } }
    store.append([...retries, fresh])
    assert.deepEqual(retries.map(r => r.duplicateOf), [{ id: 2, ts: 2_000 }, { id: 1, ts: 1_000 }])
    assert.equal(fresh.duplicateOf, undefined)
    assert.deepEqual(ids(store.readAfter(ROOM, 0, 10)), [1, 2, 3, 4, 5])
    store.close()
    // What is stored: each key with its scope's number, a few characters where the scope was.
    const after = keep(new Database(join(dir, DATABASE_FILE), { readonly: true }))
    const stored = after.prepare('SELECT scoped_key FROM messages WHERE scoped_key IS NOT NULL ORDER BY id').pluck().all() as string[]
    assert.equal(stored.length, 4)
    for (const key of stored) assert.match(key, /^k é 1 \d+$/)
    assert.equal(new Set(stored).size, 4, 'four scopes, four numbers')
  })

  it('keys are stored with their scope\'s number; a scope numbered in an append that failed is numbered again, and found after a reopen', t => {
    const { dir, keep } = tempDir(t)
    const store = keep(new SqliteStore(dir))
    fill(store, ROOM, 1)
    // Id 1 exists: the batch rolls back, the scope numbered in it with it.
    assert.throws(() => { store.append([{ message: roomMessage(OTHER_ROOM, 1), idempotency: { scope: 'guest~abcdefghijkl', key: 'first' } }, { message: roomMessage(ROOM, 1) }]) })
    store.append([{ message: roomMessage(OTHER_ROOM, 1), idempotency: { scope: 'guest~abcdefghijkl', key: 'first' } }])
    store.close()
    const reopened = keep(new SqliteStore(dir))
    assert.equal(reopened.findByKey({ scope: 'guest~abcdefghijkl', key: 'first' })?.id, 1)
    const retry: MessageWrite = { message: roomMessage(OTHER_ROOM, 2), idempotency: { scope: 'guest~abcdefghijkl', key: 'first' } }
    reopened.append([retry])
    assert.deepEqual(retry.duplicateOf, { id: 1, ts: 1_000 })
    reopened.close()
    const raw = keep(new Database(join(dir, DATABASE_FILE), { readonly: true }))
    assert.deepEqual(raw.prepare('SELECT scoped_key FROM messages WHERE scoped_key IS NOT NULL').pluck().all(), ['first 2'], 'number 1 went with the failed append')
    assert.deepEqual(raw.prepare('SELECT scope, n FROM key_scopes').all(), [{ scope: 'guest~abcdefghijkl', n: 2 }])
  })

  it('retention forgets the scopes that no stored message names (allowing for how far behind their last use may be recorded), and keeps the others', t => {
    const { dir, keep } = tempDir(t)
    const store = keep(new SqliteStore(dir))
    const hour = 3_600_000
    const at = (stream: string, id: number, ts: number, scope: string): MessageWrite => ({ message: roomMessage(stream, id, ts), idempotency: { scope, key: `k${id}` } })
    store.append([at(ROOM, 1, 1 * hour, 'gone'), at(ROOM, 2, 2 * hour, 'recent'), at(OTHER_ROOM, 1, 2 * hour, 'kept')])
    // A day later: 'gone' is used again, 'recent' and 'kept' are not; then the first day's messages are pruned but OTHER_ROOM's.
    store.append([at(ROOM, 3, 25 * hour, 'gone')])
    assert.equal(store.prune({ maxMessagesPerStream: 1 }, 26 * hour), 2)
    // Left: ROOM #3 (25 h, 'gone') and OTHER_ROOM #1 (2 h, 'kept'): the oldest is at 2 h, so 'recent' (last used at 2 h) could be named.
    store.close()
    let raw = keep(new Database(join(dir, DATABASE_FILE), { readonly: true }))
    assert.deepEqual(raw.prepare('SELECT scope FROM key_scopes ORDER BY scope').pluck().all(), ['gone', 'kept', 'recent'])
    raw.close()
    const again = keep(new SqliteStore(dir))
    again.append([at(OTHER_ROOM, 2, 30 * hour, 'kept'), at(OTHER_ROOM, 3, 30 * hour, 'kept')])
    assert.equal(again.prune({ maxMessagesPerStream: 1 }, 31 * hour), 2)
    // Left: ROOM #3 (25 h) and OTHER_ROOM #3 (30 h): 'recent' is forgotten; 'kept', used at 30 h, and 'gone', at 25 h, are not.
    assert.equal(again.findByKey({ scope: 'kept', key: 'k3' })?.id, 3)
    assert.equal(again.findByKey({ scope: 'gone', key: 'k3' })?.id, 3)
    again.close()
    raw = keep(new Database(join(dir, DATABASE_FILE), { readonly: true }))
    assert.deepEqual(raw.prepare('SELECT scope FROM key_scopes ORDER BY scope').pluck().all(), ['gone', 'kept'])
  })

  it('retention that removes every message forgets every scope; a scope keyed again is numbered anew, and its key found after a reopen', t => {
    const { dir, keep } = tempDir(t)
    const store = keep(new SqliteStore(dir))
    store.append([{ message: roomMessage(ROOM, 1), idempotency: { scope: 'alice', key: 'k1' } }])
    assert.equal(store.prune({ maxAgeMs: 1 }, 10_000), 1)
    // Its number was forgotten in memory too: the next key of the scope is not written under a number the file no longer has.
    store.append([{ message: roomMessage(ROOM, 2, 20_000), idempotency: { scope: 'alice', key: 'k2' } }])
    store.close()
    const raw = keep(new Database(join(dir, DATABASE_FILE), { readonly: true }))
    assert.deepEqual(raw.prepare('SELECT scope, n FROM key_scopes').all(), [{ scope: 'alice', n: 2 }])
    assert.deepEqual(raw.prepare('SELECT scoped_key FROM messages').pluck().all(), ['k2 2'])
    raw.close()
    const reopened = keep(new SqliteStore(dir))
    assert.equal(reopened.findByKey({ scope: 'alice', key: 'k2' })?.id, 2)
    assert.equal(reopened.findByKey({ scope: 'alice', key: 'k1' }), undefined)
  })

  it('a database of schema version 3 (before read markers) gains their table; markers then survive a reopen', t => {
    const { dir, keep } = tempDir(t)
    const raw = databaseAt(dir, 3)
    raw.prepare('INSERT INTO messages (stream, id, room, recipient, sender, text, ts) VALUES (?, ?, ?, ?, ?, ?, ?)').run(ROOM, 1, 'general', null, 'bob', 'one', 1_000)
    raw.prepare('INSERT INTO messages (stream, id, room, recipient, sender, text, ts) VALUES (?, ?, ?, ?, ?, ?, ?)').run(ROOM, 2, 'general', null, 'bob', 'two', 2_000)
    raw.prepare('INSERT INTO streams (stream, last_id, floor) VALUES (?, ?, ?)').run(ROOM, 2, 0)
    raw.close()
    const store = keep(new SqliteStore(dir))
    assert.equal(store.schemaVersion, MIGRATIONS.length)
    assert.deepEqual(store.readMarker('alice', ROOM), { read: 0, lastId: 2 })
    assert.deepEqual(store.moveReadMarker('alice', ROOM, 1), { read: 1, lastId: 2, moved: true })
    store.close()
    const reopened = keep(new SqliteStore(dir))
    assert.deepEqual(reopened.readMarker('alice', ROOM), { read: 1, lastId: 2 })
    assert.deepEqual(reopened.moveReadMarker('alice', ROOM, 0), { read: 1, lastId: 2, moved: false })
  })

  it('append is all or none: a batch that fails writes nothing', t => {
    const { dir, keep } = tempDir(t)
    const store = keep(new SqliteStore(dir))
    fill(store, ROOM, 3)
    // Id 3 exists already: the whole batch, the fresh id 4 and the other stream included, must roll back.
    assert.throws(() => {
      store.append([
        { message: roomMessage(OTHER_ROOM, 1) },
        { message: roomMessage(ROOM, 4) },
        { message: roomMessage(ROOM, 3) }
      ])
    }, /UNIQUE|PRIMARY KEY|constraint/i)
    assert.equal(store.lastId(ROOM), 3)
    assert.equal(store.lastId(OTHER_ROOM), 0)
    assert.deepEqual(ids(store.readAfter(ROOM, 0, 10)), [1, 2, 3])
    assert.deepEqual(store.readAfter(OTHER_ROOM, 0, 10), [])
  })

  it('a second store on the same directory, while the first is open, is refused with a clear error', t => {
    const { dir, keep } = tempDir(t)
    const first = keep(new SqliteStore(dir))
    fill(first, ROOM, 2)
    // locking_mode EXCLUSIVE: the first connection holds the file; SQLite answers SQLITE_BUSY, the store says why.
    assert.throws(() => new SqliteStore(dir), (err: Error) => {
      assert.match(err.message, /chat\.db is in use by another server/)
      assert.equal((err.cause as { code?: string } | undefined)?.code, 'SQLITE_BUSY')
      return true
    })
    assert.equal(first.lastId(ROOM), 2, 'the first holder is unaffected')
    first.close()

    // Also when the holder only opened an existing database and wrote nothing yet.
    const reopened = keep(new SqliteStore(dir))
    assert.throws(() => new SqliteStore(dir), /in use by another server/)
    assert.equal(reopened.lastId(ROOM), 2)
    fill(reopened, ROOM, 1)
    reopened.close()

    // Once closed, the directory can be opened again.
    const third = keep(new SqliteStore(dir))
    assert.equal(third.lastId(ROOM), 3)
  })

  it('a database with a newer schema version than this code knows is refused and left untouched', t => {
    const { dir, keep } = tempDir(t)
    const path = join(dir, DATABASE_FILE)
    const future = MIGRATIONS.length + 1
    const raw = new Database(path)
    raw.exec('CREATE TABLE from_the_future (x INTEGER)')
    raw.pragma(`user_version = ${future}`)
    raw.close()

    assert.throws(() => new SqliteStore(dir), (err: Error) => {
      assert.match(err.message, new RegExp(`schema version ${future}, newer than this server \\(${MIGRATIONS.length}\\)`))
      return true
    })
    // Not migrated, and not left locked: SQLite opens it and finds it as it was.
    const after = keep(new Database(path))
    assert.equal(after.pragma('user_version', { simple: true }), future)
    assert.deepEqual(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all(), ['from_the_future'])
  })

  it('a file that is not a database is refused, not overwritten', t => {
    const { dir } = tempDir(t)
    const path = join(dir, DATABASE_FILE)
    const garbage = Buffer.from('this is not an SQLite database, only text long enough to have a header. '.repeat(20))
    writeFileSync(path, garbage)
    assert.throws(() => new SqliteStore(dir), /not a database/)
    assert.deepEqual(readFileSync(path), garbage)
  })

  it('durability normal stores and reopens like full', t => {
    const { dir, keep } = tempDir(t)
    const store = keep(new SqliteStore(dir, { durability: 'normal' }))
    fill(store, ROOM, 3)
    store.close()
    assert.equal(keep(new SqliteStore(dir)).lastId(ROOM), 3)
  })
})

describe('MemoryStore: retention takes keys with their messages', () => {
  it('the key index holds one key per keyed message kept: what retention removes, by count or by age, leaves it; kept keys are still found, removed ones name new messages', t => {
    const store = new MemoryStore()
    t.after(() => { store.close() })
    const keyed = (stream: string, from: number, count: number, ts: number): MessageWrite[] =>
      Array.from({ length: count }, (_, i) => ({ message: roomMessage(stream, from + i, ts + i), idempotency: { scope: 'alice', key: `${stream}-${from + i}` } }))
    // 3,000 keyed messages in one room (past the point where the key list compacts), 50 in another, and unkeyed ones between.
    for (let from = 1; from <= 3_000; from += 500) store.append(keyed(ROOM, from, 500, 10_000))
    store.append(keyed(OTHER_ROOM, 1, 50, 10_000))
    store.append([{ message: roomMessage(ROOM, 3_001, 20_000) }, { message: roomMessage(ROOM, 3_002, 20_001) }])
    assert.equal(store.keyCount, 3_050)
    assert.equal(store.prune({ maxMessagesPerStream: 1_002 }, 30_000), 2_000)
    assert.equal(store.keyCount, 1_050, 'the keys of the 2,000 removed messages are gone')
    assert.equal(store.findByKey({ scope: 'alice', key: `${ROOM}-2000` }), undefined)
    assert.equal(store.findByKey({ scope: 'alice', key: `${ROOM}-2001` })?.id, 2_001)
    assert.equal(store.findByKey({ scope: 'alice', key: `${OTHER_ROOM}-1` })?.id, 1)
    // By age: everything keyed is older than the cutoff, the two unkeyed messages are not.
    assert.equal(store.prune({ maxAgeMs: 5_000 }, 20_000), 1_050)
    assert.equal(store.keyCount, 0)
    // A removed message's key names a new message, which retention then takes with it too.
    const again: MessageWrite = { message: roomMessage(ROOM, 3_003, 40_000), idempotency: { scope: 'alice', key: `${ROOM}-1` } }
    store.append([again])
    assert.equal(again.duplicateOf, undefined)
    assert.equal(store.keyCount, 1)
    assert.equal(store.findByKey({ scope: 'alice', key: `${ROOM}-1` })?.id, 3_003)
    assert.equal(store.prune({ maxMessagesPerStream: 1 }, 50_000), 2)
    assert.equal(store.keyCount, 1, 'the newest message, keyed, is kept with its key')
    assert.equal(store.prune({ maxAgeMs: 1 }, 50_000), 1)
    assert.equal(store.keyCount, 0)
  })

  it('the inbox entries of messages retention removes go with them, whether or not their user ever reads them', t => {
    const store = new MemoryStore()
    t.after(() => { store.close() })
    // Bob is sent 3 direct messages while offline, Carol 2; bob's conversation also holds one he was there for.
    store.append([
      { message: directMessage(ALICE_BOB, 1, 'alice', 'bob', 1_000), inboxFor: 'bob' },
      { message: directMessage(ALICE_BOB, 2, 'alice', 'bob', 2_000), inboxFor: 'bob' },
      { message: directMessage(BOB_CAROL, 1, 'bob', 'carol', 2_500), inboxFor: 'carol' },
      { message: directMessage(ALICE_BOB, 3, 'alice', 'bob', 3_000) },
      { message: directMessage(BOB_CAROL, 2, 'bob', 'carol', 8_000), inboxFor: 'carol' },
      { message: directMessage(ALICE_BOB, 4, 'alice', 'bob', 9_000), inboxFor: 'bob' }
    ])
    assert.equal(store.inboxEntryCount, 5)
    assert.equal(store.prune({ maxAgeMs: 5_000 }, 10_000), 4)
    assert.equal(store.inboxEntryCount, 2, 'the entries of the 3 removed messages held for someone are gone')
    assert.deepEqual(store.readInbox('bob', 10).map(e => e.message.id), [4])
    assert.deepEqual(store.readInbox('carol', 10).map(e => e.message.id), [2])
    assert.equal(store.prune({ maxMessagesPerStream: 1 }, 10_000), 0)
    assert.equal(store.prune({ maxAgeMs: 1 }, 20_000), 2)
    assert.equal(store.inboxEntryCount, 0)
    assert.deepEqual(store.readInbox('bob', 10), [])
  })
})
