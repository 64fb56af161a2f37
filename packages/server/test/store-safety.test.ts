import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { encodeFrame } from '@chat/protocol'
import { Harness } from '@chat/testing'
import { createServer, DATABASE_FILE, roomStream, SqliteStore, StoreError } from '../src/index.js'
import type { StoreErrorCode } from '../src/index.js'
import { damageAllButSchema, databaseWith, roomMessages } from './damaged-files.fixture.js'

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

function open (h: Harness, dir: string): SqliteStore {
  const store = new SqliteStore(dir)
  h.defer('closing a store', () => { store.close() })
  return store
}

describe('SqliteStore: a database damaged while open', () => {
  it('damaged while open: each read or write that meets it throws storage_error (a StoreError), and the store carries on', t => {
    const h = new Harness(t)
    const dir = h.tempDir('chat-store-')
    databaseWith(dir, 300)
    // Just opened, its page cache is cold: pages come from the file.
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
