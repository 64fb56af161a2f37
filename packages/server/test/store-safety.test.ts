import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encodeFrame } from '@chat/protocol'
import { Harness } from '@chat/testing'
import { createServer, DATABASE_FILE, MARKER_FILE, roomStream, SqliteStore, StoreError } from '../src/index.js'
import type { StoreErrorCode } from '../src/index.js'
import { damage, damageAllButSchema, databaseWith, PAGE, roomMessages, walWithoutDatabase } from './damaged-files.fixture.js'

const GENERAL = roomStream('general')

/** Asserts `fn` throws a StoreError with `code`, whose message matches `message`; returns it. */
function refusedWith (fn: () => unknown, code: StoreErrorCode, message: RegExp): StoreError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`)
    assert.equal(err.code, code, err.message)
    assert.match(err.message, message)
    return err
  }
  assert.fail(`expected ${code}`)
}

function open (h: Harness, dir: string, init = false): SqliteStore {
  const store = new SqliteStore(dir, { init })
  h.defer('closing a store', () => { store.close() })
  return store
}

function marker (dir: string): { store: string, created: string } {
  return JSON.parse(readFileSync(join(dir, MARKER_FILE), 'utf8'))
}

describe('SqliteStore: a database gone missing', () => {
  it('a new directory (or an empty one) just starts: the database is created and the marker written', t => {
    const h = new Harness(t)
    for (const dir of [join(h.tempDir('chat-store-'), 'not', 'there', 'yet'), h.tempDir('chat-store-')]) {
      const store = open(h, dir)
      assert.equal(store.checkMs, undefined, 'nothing to check in a new database')
      assert.ok(existsSync(join(dir, DATABASE_FILE)))
      const { store: id, created } = marker(dir)
      assert.match(id, /^[0-9a-f-]{36}$/)
      assert.ok(Math.abs(Date.parse(created) - Date.now()) < 60_000, created)
      store.close()
      // Reopened: checked this time, and the marker is left as it was.
      assert.equal(typeof open(h, dir).checkMs, 'number')
      assert.deepEqual(marker(dir), { store: id, created })
    }
  })

  it('a database made before the marker existed opens as before, and gets one', t => {
    const h = new Harness(t)
    const dir = h.tempDir('chat-store-')
    databaseWith(dir, 3)
    rmSync(join(dir, MARKER_FILE))
    assert.equal(open(h, dir).lastId(GENERAL), 3)
    assert.ok(existsSync(join(dir, MARKER_FILE)))
  })

  it('chat.db deleted, the marker left: refused with store_missing, and no new database is made', t => {
    const h = new Harness(t)
    const dir = h.tempDir('chat-store-')
    databaseWith(dir, 3)
    const { store: id } = marker(dir)
    rmSync(join(dir, DATABASE_FILE))
    refusedWith(() => new SqliteStore(dir), 'store_missing', new RegExp(`chat\\.db is missing.*database ${id} was created here.*--init`))
    assert.deepEqual(readdirSync(dir), [MARKER_FILE], 'nothing made, nothing moved')
  })

  it('chat.db deleted, its -wal left (a directory of an older server: no marker): refused with store_missing', t => {
    const h = new Harness(t)
    const dir = h.tempDir('chat-store-')
    walWithoutDatabase(dir, 50)
    rmSync(join(dir, MARKER_FILE))
    assert.ok(existsSync(join(dir, `${DATABASE_FILE}-wal`)), 'the -wal is there')
    refusedWith(() => new SqliteStore(dir), 'store_missing', /chat\.db-wal .*(is|are) left from it/)
    assert.ok(!existsSync(join(dir, DATABASE_FILE)))
  })

  it('with init: a new, empty database; the old -wal and -shm moved aside (never applied to it), and a new marker', t => {
    const h = new Harness(t)
    const dir = h.tempDir('chat-store-')
    walWithoutDatabase(dir, 50)
    const before = marker(dir)
    const left = readdirSync(dir).filter(name => name.startsWith(`${DATABASE_FILE}-`)).sort()
    assert.ok(left.includes(`${DATABASE_FILE}-wal`))
    const store = open(h, dir, true)
    assert.deepEqual([...store.movedAside].sort(), left)
    assert.equal(store.lastId(GENERAL), 0, 'a new database: ids start again')
    assert.deepEqual(store.readAfter(GENERAL, 0, 10), [])
    for (const name of left) assert.ok(readdirSync(dir).some(file => file.startsWith(`${name}.orphaned-`)), `${name} kept aside`)
    assert.notEqual(marker(dir).store, before.store, 'the marker names the new database')
    store.close()
    // From now on it is an ordinary database: no init needed.
    assert.equal(open(h, dir).lastId(GENERAL), 0)
  })

  it('chat.db emptied (0 bytes) where the marker says a database was: store_missing; with init it is used', t => {
    const h = new Harness(t)
    const dir = h.tempDir('chat-store-')
    databaseWith(dir, 3)
    writeFileSync(join(dir, DATABASE_FILE), '')
    refusedWith(() => new SqliteStore(dir), 'store_missing', /chat\.db is empty/)
    assert.equal(readFileSync(join(dir, DATABASE_FILE)).length, 0, 'left as it was')
    assert.equal(open(h, dir, true).lastId(GENERAL), 0)
  })
})

describe('SqliteStore: a damaged database', () => {
  it('8 KiB of garbage past the header: refused at open with store_corrupt, naming the problem; the file is left as it was', t => {
    const h = new Harness(t)
    const dir = h.tempDir('chat-store-')
    databaseWith(dir, 300)
    const path = join(dir, DATABASE_FILE)
    damage(path, 2 * PAGE, 8 * 1024)
    const bytes = readFileSync(path)
    const err = refusedWith(() => new SqliteStore(dir), 'store_corrupt', /chat\.db is damaged: .+chat-server check --data/)
    assert.doesNotMatch(err.message, /^\s*$/)
    assert.deepEqual(readFileSync(path), bytes, 'not touched')
    // Not held either: it can be opened to be looked at, or replaced.
    refusedWith(() => new SqliteStore(dir), 'store_corrupt', /damaged/)
  })

  it('a file that is not a database at all: store_corrupt, "not a database"', t => {
    const h = new Harness(t)
    const dir = h.tempDir('chat-store-')
    writeFileSync(join(dir, DATABASE_FILE), 'plain text, long enough to have been a header of something. '.repeat(100))
    refusedWith(() => new SqliteStore(dir), 'store_corrupt', /not a database/)
  })

  it('a database another store holds: store_in_use', t => {
    const h = new Harness(t)
    const dir = h.tempDir('chat-store-')
    open(h, dir).append(roomMessages(2))
    refusedWith(() => new SqliteStore(dir), 'store_in_use', /chat\.db is in use by another server/)
  })

  it('damaged while open: each read or write that meets it throws storage_error (a StoreError), and the store carries on', t => {
    const h = new Harness(t)
    const dir = h.tempDir('chat-store-')
    databaseWith(dir, 300)
    // Opened with a cold page cache (the startup check runs on a connection of its own): pages come from the file.
    const store = open(h, dir)
    damageAllButSchema(store.path)
    refusedWith(() => store.readAfter(GENERAL, 0, 10), 'storage_error', /reading messages failed: .*(malformed|not a database).*SQLITE_(CORRUPT|NOTADB)/)
    refusedWith(() => store.readBefore(GENERAL, undefined, 10), 'storage_error', /reading messages failed/)
    refusedWith(() => store.append(roomMessages(1, 'general', 301)), 'storage_error', /storing 1 message\(s\) failed/)
    refusedWith(() => store.lastId(GENERAL), 'storage_error', /reading a last id failed/)
    refusedWith(() => store.prune({ maxMessagesPerStream: 1 }, Date.now()), 'storage_error', /applying retention failed/)
  })
})

describe('a server whose database is damaged while it runs', () => {
  it('refuses what meets the damage with storage_error, acknowledges nothing it did not store, logs it as an error, and keeps the connections', async t => {
    const h = new Harness(t)
    const dir = h.tempDir('chat-store-')
    databaseWith(dir, 300)
    const errors: string[] = []
    const server = createServer({ dataDir: dir, logger: { info: () => {}, warn: () => {}, error: line => { errors.push(line) } } })
    // The joins read the room's last id (a page of the small streams table, in memory from now on);
    // nothing has read the messages table since the server opened the file.
    const [alice, bob] = await h.usersIn(server, 'a-room', 'alice', 'bob')

    damageAllButSchema(join(dir, DATABASE_FILE))
    // Three sends in one write: one commit, which meets the damage and fails. Each is refused; none is acknowledged or delivered.
    alice.sendRaw(new Uint8Array([101, 102, 103].flatMap(req => [...encodeFrame({ type: 'send', req, room: 'a-room', text: `lost ${req}` })])))
    for (const re of [101, 102, 103]) {
      const reply = await alice.next(m => 're' in m && m.re === re, `the reply to ${re}`)
      assert.deepEqual(reply.type === 'error' && [reply.code, reply.fatal], ['storage_error', undefined], JSON.stringify(reply))
    }
    // A read that meets the damage: refused the same way (it used to end the connection with internal_error).
    const page = await alice.request({ type: 'history', room: 'a-room' })
    assert.deepEqual(page.type === 'error' && [page.code, page.fatal], ['storage_error', undefined], JSON.stringify(page))

    for (const client of [alice, bob]) await client.sync()
    assert.equal(alice.isClosed, false)
    assert.equal(bob.isClosed, false)
    assert.deepEqual(alice.received.filter(m => m.type === 'msg' && m.text.startsWith('lost')), [], 'not delivered to the sender')
    assert.deepEqual(bob.received.filter(m => m.type === 'msg' && m.text.startsWith('lost')), [], 'nor to anyone')
    const rooms = await alice.request({ type: 'rooms' })
    assert.deepEqual(rooms.type === 'room_list' && rooms.rooms, [{ room: 'a-room', members: 2 }], 'what needs no store still works')
    assert.ok(errors.some(line => /storing 3 message\(s\) failed, refused with storage_error/.test(line)), errors.join('\n'))
    assert.ok(errors.some(line => /history from alice .* refused: reading messages failed/.test(line)), errors.join('\n'))
  })
})
