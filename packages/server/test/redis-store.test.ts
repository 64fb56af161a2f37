import { after, before, describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Harness } from '@chat/testing'
import { conversationStream, MemoryStore, roomStream, SqliteStore } from '../src/index.js'
import type { Account, CommitWrite, LocalStore, RetentionPolicy, StoredMessage } from '../src/index.js'
import type { IdempotencyKey, InboxEntry, MarkerMove, ReadMarker } from '../src/store/store.js'
import { openRedisStore, suiteRedis } from './redis-fixture.js'

/**
 * The Store contract as the cluster needs it, run on the local stores and
 * on RedisStore with the same scenarios. Messages are written by `append`
 * (ids given by the test) on the local stores and by `commit` (ids given
 * by Redis) on Redis: the scenarios write in order, so the ids are the same.
 */
interface AsyncStore {
  lastId: (stream: string) => Promise<number>
  floor: (stream: string) => Promise<number>
  readAfter: (stream: string, after: number, limit: number) => Promise<StoredMessage[]>
  readBefore: (stream: string, before: number | undefined, limit: number) => Promise<StoredMessage[]>
  findByKey: (key: IdempotencyKey) => Promise<StoredMessage | undefined>
  readInbox: (userKey: string, limit: number) => Promise<InboxEntry[]>
  removeInbox: (userKey: string, seq: number) => Promise<void>
  getAccount: (userKey: string) => Promise<Account | undefined>
  createAccount: (userKey: string, account: Account) => Promise<boolean>
  prune: (policy: RetentionPolicy, now: number) => Promise<number>
  readMarker: (userKey: string, stream: string) => Promise<ReadMarker>
  moveReadMarker: (userKey: string, stream: string, id: number) => Promise<MarkerMove>
  /** Writes a batch in order; returns the messages as stored. */
  write: (batch: CommitWrite[]) => Promise<StoredMessage[]>
}

function local (store: LocalStore): AsyncStore {
  return {
    lastId: async s => store.lastId(s),
    floor: async s => store.floor(s),
    readAfter: async (s, a, l) => store.readAfter(s, a, l),
    readBefore: async (s, b, l) => store.readBefore(s, b, l),
    findByKey: async k => store.findByKey(k),
    readInbox: async (u, l) => store.readInbox(u, l),
    removeInbox: async (u, s) => { store.removeInbox(u, s) },
    getAccount: async u => store.getAccount(u),
    createAccount: async (u, a) => store.createAccount(u, a),
    prune: async (p, n) => store.prune(p, n),
    readMarker: async (u, s) => store.readMarker(u, s),
    moveReadMarker: async (u, s, id) => store.moveReadMarker(u, s, id),
    write: async batch => {
      const next = new Map<string, number>()
      const writes = batch.map(({ message, inboxFor, idempotency }) => {
        const id = (next.get(message.stream) ?? store.lastId(message.stream)) + 1
        next.set(message.stream, id)
        return { message: { ...message, id }, inboxFor, idempotency }
      })
      store.append(writes)
      return writes.map(w => w.message)
    }
  }
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

function write (message: StoredMessage, more: Omit<CommitWrite, 'message'> = {}): CommitWrite {
  const { id: _id, ...rest } = message
  return { message: rest, ...more }
}

/** Writes `count` messages to `stream` (ids after its last, ts = 1000 × id), in batches of `batch`. */
async function fill (store: AsyncStore, stream: string, count: number, batch = 7): Promise<StoredMessage[]> {
  const first = await store.lastId(stream) + 1
  const messages = Array.from({ length: count }, (_, i) => roomMessage(stream, first + i))
  for (let i = 0; i < messages.length; i += batch) {
    const stored = await store.write(messages.slice(i, i + batch).map(m => write(m)))
    assert.deepEqual(stored, messages.slice(i, i + batch), 'ids as expected')
  }
  return messages
}

async function takeInbox (store: AsyncStore, userKey: string): Promise<StoredMessage[]> {
  const entries = await store.readInbox(userKey, 1_000_000)
  if (entries.length > 0) await store.removeInbox(userKey, entries[entries.length - 1].seq)
  return entries.map(e => e.message)
}

const ids = (messages: StoredMessage[]): number[] => messages.map(m => m.id)
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

type Open = (t: TestContext) => Promise<AsyncStore>

describe('MemoryStore: the contract shared with RedisStore', () => { contract(async () => local(new MemoryStore())) })

describe('SqliteStore: the contract shared with RedisStore', () => {
  contract(async t => {
    const h = new Harness(t)
    const store = new SqliteStore(h.tempDir('chat-store-test-'))
    h.defer('closing a store', () => { store.close() })
    return local(store)
  })
})

describe('RedisStore: the contract (messages written by commit)', () => {
  const redis = suiteRedis({ before, after }, { persistence: false })
  contract(async t => {
    const store = await openRedisStore(t, redis().url)
    const asAsync: AsyncStore = {
      lastId: async s => await store.lastId(s),
      floor: async s => await store.floor(s),
      readAfter: async (s, a, l) => await store.readAfter(s, a, l),
      readBefore: async (s, b, l) => await store.readBefore(s, b, l),
      findByKey: async k => await store.findByKey(k),
      readInbox: async (u, l) => await store.readInbox(u, l),
      removeInbox: async (u, s) => { await store.removeInbox(u, s) },
      getAccount: async u => await store.getAccount(u),
      createAccount: async (u, a) => await store.createAccount(u, a),
      prune: async (p, n) => await store.prune(p, n),
      readMarker: async (u, s) => await store.readMarker(u, s),
      moveReadMarker: async (u, s, id) => await store.moveReadMarker(u, s, id),
      write: async batch => {
        const outcomes = await store.commit(batch)
        assert.ok(outcomes.every(o => !o.duplicate))
        return outcomes.map(({ id, ts }, i) => ({ ...batch[i].message, id, ts }))
      }
    }
    return asAsync
  })
})

function contract (open: Open): void {
  const subject = { open }
  {
    it('an unknown stream is empty: lastId 0, floor 0, nothing to read', async t => {
      const store = await subject.open(t)
      assert.equal(await store.lastId(ROOM), 0)
      assert.equal(await store.floor(ROOM), 0)
      assert.deepEqual(await store.readAfter(ROOM, 0, 10), [])
      assert.deepEqual(await store.readBefore(ROOM, undefined, 10), [])
      assert.deepEqual(await store.readBefore(ROOM, 5, 10), [])
      assert.deepEqual(await store.readInbox('bob', 10), [])
      assert.equal(await store.getAccount('bob'), undefined)
      assert.equal(await store.findByKey({ scope: 'alice', key: 'k' }), undefined)
      assert.equal(await store.prune({ maxAgeMs: 1, maxMessagesPerStream: 1 }, Date.now()), 0)
    })

    it('readAfter pages forward, readBefore backward, oldest first, within limits; every field round-trips', async t => {
      const store = await subject.open(t)
      const written = await fill(store, ROOM, 25)
      const other = await fill(store, OTHER_ROOM, 3)
      const [dm] = await store.write([write(directMessage(ALICE_BOB, 1, 'alice', 'bob'))])
      assert.deepEqual(dm, directMessage(ALICE_BOB, 1, 'alice', 'bob'))
      assert.equal(await store.lastId(ROOM), 25)
      assert.equal(await store.lastId(OTHER_ROOM), 3)
      assert.equal(await store.lastId(ALICE_BOB), 1)
      assert.deepEqual(await store.readAfter(ROOM, 0, 10), written.slice(0, 10))
      assert.deepEqual(ids(await store.readAfter(ROOM, 10, 10)), range(11, 20))
      assert.deepEqual(ids(await store.readAfter(ROOM, 20, 10)), range(21, 25))
      assert.deepEqual(await store.readAfter(ROOM, 25, 10), [])
      assert.deepEqual(await store.readAfter(ROOM, 1_000, 10), [])
      assert.deepEqual(await store.readAfter(ROOM, 0, 0), [])
      assert.deepEqual(ids(await store.readBefore(ROOM, undefined, 10)), range(16, 25))
      assert.deepEqual(ids(await store.readBefore(ROOM, 16, 10)), range(6, 15))
      assert.deepEqual(ids(await store.readBefore(ROOM, 6, 10)), range(1, 5))
      assert.deepEqual(await store.readBefore(ROOM, 1, 10), [])
      assert.deepEqual(ids(await store.readBefore(ROOM, 1_000, 3)), [23, 24, 25])
      assert.deepEqual(await store.readAfter(OTHER_ROOM, 0, 100), other)
      assert.deepEqual(await store.readBefore(ALICE_BOB, undefined, 5), [dm], 'a direct message keeps `to` and has no `room`')
    })

    it('paging forward and backward through a long stream sees each message once', async t => {
      const store = await subject.open(t)
      await fill(store, ROOM, 1_003, 50)
      const forward: number[] = []
      for (let after = 0; ;) {
        const page = await store.readAfter(ROOM, after, 100)
        if (page.length === 0) break
        forward.push(...ids(page))
        after = page[page.length - 1].id
      }
      assert.deepEqual(forward, range(1, 1_003))
      const backward: number[] = []
      for (let before: number | undefined; ;) {
        const page = await store.readBefore(ROOM, before, 100)
        if (page.length === 0) break
        backward.unshift(...ids(page))
        before = page[0].id
      }
      assert.deepEqual(backward, range(1, 1_003))
    })

    it('prune by count keeps the newest n of each stream and raises floor()', async t => {
      const store = await subject.open(t)
      await fill(store, ROOM, 25)
      await fill(store, OTHER_ROOM, 4)
      assert.equal(await store.prune({ maxMessagesPerStream: 10 }, Date.now()), 15)
      assert.equal(await store.floor(ROOM), 15)
      assert.equal(await store.floor(OTHER_ROOM), 0)
      assert.equal(await store.lastId(ROOM), 25)
      assert.deepEqual(ids(await store.readAfter(ROOM, 0, 100)), range(16, 25))
      assert.deepEqual(ids(await store.readBefore(ROOM, undefined, 100)), range(16, 25))
      assert.equal(await store.prune({ maxMessagesPerStream: 10 }, Date.now()), 0, 'pruning again removes nothing')
      await fill(store, ROOM, 5)
      assert.equal(await store.prune({ maxMessagesPerStream: 10 }, Date.now()), 5)
      assert.equal(await store.floor(ROOM), 20)
      assert.deepEqual(ids(await store.readAfter(ROOM, 0, 100)), range(21, 30))
    })

    it('prune by age removes messages older than maxAgeMs and raises floor()', async t => {
      const store = await subject.open(t)
      await fill(store, ROOM, 20)
      await fill(store, OTHER_ROOM, 3)
      assert.equal(await store.prune({ maxAgeMs: 5_000 }, 10_500), 8)
      assert.equal(await store.floor(ROOM), 5)
      assert.equal(await store.floor(OTHER_ROOM), 3)
      assert.deepEqual(ids(await store.readAfter(ROOM, 0, 100)), range(6, 20))
      assert.deepEqual(await store.readAfter(OTHER_ROOM, 0, 100), [])
      assert.equal(await store.lastId(OTHER_ROOM), 3)
    })

    it('both policies at once: whichever removes more wins; lastId survives pruning everything', async t => {
      const store = await subject.open(t)
      await fill(store, ROOM, 30)
      assert.equal(await store.prune({ maxAgeMs: 5_000, maxMessagesPerStream: 10 }, 10_500), 20)
      assert.equal(await store.floor(ROOM), 20)
      assert.equal(await store.prune({ maxAgeMs: 1_000, maxMessagesPerStream: 10 }, 26_000), 4)
      assert.equal(await store.floor(ROOM), 24)
      assert.equal(await store.prune({ maxAgeMs: 1 }, 1_000_000), 6)
      assert.equal(await store.lastId(ROOM), 30)
      assert.equal(await store.floor(ROOM), 30)
      assert.deepEqual(await store.readBefore(ROOM, undefined, 100), [])
      assert.deepEqual(await store.write([write(roomMessage(ROOM, 31, 2_000_000))]), [roomMessage(ROOM, 31, 2_000_000)])
      assert.deepEqual(ids(await store.readAfter(ROOM, 0, 100)), [31])
      assert.equal(await store.floor(ROOM), 30, 'writing does not lower the floor')
    })

    it('readInbox pages an inbox in the order stored; removeInbox drops entries up to a seq', async t => {
      const store = await subject.open(t)
      await store.write([
        write(directMessage(ALICE_BOB, 1, 'alice', 'bob'), { inboxFor: 'bob' }),
        write(directMessage(BOB_CAROL, 1, 'carol', 'bob'), { inboxFor: 'bob' }),
        write(directMessage(ALICE_BOB, 2, 'bob', 'alice'), { inboxFor: 'alice' })
      ])
      await store.write([
        write(directMessage(ALICE_BOB, 3, 'alice', 'bob'), { inboxFor: 'bob' }),
        write(roomMessage(ROOM, 1)),
        write(directMessage(BOB_CAROL, 2, 'carol', 'bob'), { inboxFor: 'bob' })
      ])
      const all = await store.readInbox('bob', 100)
      assert.deepEqual(all.map(e => e.message), [
        directMessage(ALICE_BOB, 1, 'alice', 'bob'), directMessage(BOB_CAROL, 1, 'carol', 'bob'),
        directMessage(ALICE_BOB, 3, 'alice', 'bob'), directMessage(BOB_CAROL, 2, 'carol', 'bob')
      ])
      all.forEach((e, i) => { if (i > 0) assert.ok(e.seq > all[i - 1].seq, 'seq increases in inbox order') })
      assert.deepEqual(await store.readInbox('bob', 2), all.slice(0, 2))
      assert.deepEqual(await store.readInbox('bob', 100), all, 'reading removes nothing')
      await store.removeInbox('bob', all[1].seq)
      assert.deepEqual(await store.readInbox('bob', 100), all.slice(2))
      await store.removeInbox('bob', all[1].seq)
      assert.deepEqual(await store.readInbox('bob', 100), all.slice(2), 'removing again is harmless')
      await store.removeInbox('bob', all[3].seq)
      assert.deepEqual(await store.readInbox('bob', 100), [])
      assert.deepEqual(ids(await takeInbox(store, 'alice')), [2], 'another user\'s inbox is untouched')
      assert.deepEqual(ids(await store.readAfter(ALICE_BOB, 0, 10)), [1, 2, 3])
      await store.write([write(directMessage(ALICE_BOB, 4, 'alice', 'bob'), { inboxFor: 'bob' })])
      const later = await store.readInbox('bob', 100)
      assert.deepEqual(later.map(e => e.message.id), [4])
      assert.ok(later[0].seq > all[3].seq)
    })

    it('readInbox leaves out messages retention removed meanwhile, and still fills its page', async t => {
      const store = await subject.open(t)
      await store.write([
        write(directMessage(ALICE_BOB, 1, 'alice', 'bob', 1_000), { inboxFor: 'bob' }),
        write(directMessage(BOB_CAROL, 1, 'carol', 'bob', 9_000), { inboxFor: 'bob' }),
        write(directMessage(ALICE_BOB, 2, 'alice', 'bob', 2_000), { inboxFor: 'bob' }),
        write(directMessage(ALICE_BOB, 3, 'alice', 'bob', 9_500), { inboxFor: 'bob' })
      ])
      assert.equal(await store.prune({ maxAgeMs: 5_000 }, 10_000), 2)
      assert.deepEqual((await store.readInbox('bob', 1)).map(e => e.message.stream), [BOB_CAROL])
      assert.deepEqual((await takeInbox(store, 'bob')).map(m => `${m.stream}/${m.id}`), [`${BOB_CAROL}/1`, `${ALICE_BOB}/3`])
      assert.deepEqual(await store.readInbox('bob', 10), [])
    })

    it('findByKey finds a message by scope and key, until retention removes it', async t => {
      const store = await subject.open(t)
      const first = roomMessage(ROOM, 1, 1_000)
      const second = roomMessage(ROOM, 2, 9_000, 'bob')
      await store.write([
        write(first, { idempotency: { scope: 'alice', key: 'k-1' } }),
        write(second, { idempotency: { scope: 'bob', key: 'k-1' } }),
        write(roomMessage(ROOM, 3, 9_500))
      ])
      assert.deepEqual(await store.findByKey({ scope: 'alice', key: 'k-1' }), first)
      assert.deepEqual(await store.findByKey({ scope: 'bob', key: 'k-1' }), second, 'keys are per scope')
      assert.equal(await store.findByKey({ scope: 'alice', key: 'k-2' }), undefined)
      assert.equal(await store.findByKey({ scope: 'carol', key: 'k-1' }), undefined)
      assert.equal(await store.prune({ maxAgeMs: 5_000 }, 10_000), 1)
      assert.equal(await store.findByKey({ scope: 'alice', key: 'k-1' }), undefined, 'a removed message is not found')
      assert.deepEqual(await store.findByKey({ scope: 'bob', key: 'k-1' }), second)
      assert.equal(await store.prune({ maxMessagesPerStream: 1 }, 10_000), 1)
      assert.equal(await store.findByKey({ scope: 'bob', key: 'k-1' }), undefined, 'also after retention by count')
    })

    it('read markers: 0 at first; moved up only, never past the stream\'s newest id; per user and stream', async t => {
      const store = await subject.open(t)
      assert.deepEqual(await store.readMarker('alice', ROOM), { read: 0, lastId: 0 })
      assert.deepEqual(await store.moveReadMarker('alice', ROOM, 5), { read: 0, lastId: 0, moved: false }, 'an empty stream: nothing to read')
      await fill(store, ROOM, 10)
      await store.write([write(directMessage(ALICE_BOB, 1, 'bob', 'alice')), write(directMessage(ALICE_BOB, 2, 'bob', 'alice'))])
      assert.deepEqual(await store.moveReadMarker('alice', ROOM, 4), { read: 4, lastId: 10, moved: true })
      assert.deepEqual(await store.moveReadMarker('alice', ROOM, 3), { read: 4, lastId: 10, moved: false }, 'never backwards')
      assert.deepEqual(await store.moveReadMarker('alice', ROOM, 4), { read: 4, lastId: 10, moved: false })
      assert.deepEqual(await store.moveReadMarker('alice', ROOM, 99), { read: 10, lastId: 10, moved: true }, 'clamped to the newest id')
      assert.deepEqual(await store.readMarker('alice', ROOM), { read: 10, lastId: 10 })
      assert.deepEqual(await store.readMarker('bob', ROOM), { read: 0, lastId: 10 }, 'each user has their own')
      assert.deepEqual(await store.moveReadMarker('alice', ALICE_BOB, 1), { read: 1, lastId: 2, moved: true })
      assert.deepEqual(await store.readMarker('alice', ROOM), { read: 10, lastId: 10 }, 'each stream too')
      await fill(store, ROOM, 5)
      assert.deepEqual(await store.readMarker('alice', ROOM), { read: 10, lastId: 15 })
      // Concurrent moves (nodes of a cluster): the highest wins, whatever the order they land in.
      await Promise.all([7, 14, 9, 12].map(async id => await store.moveReadMarker('carol', ROOM, id)))
      assert.deepEqual(await store.readMarker('carol', ROOM), { read: 14, lastId: 15 })
    })

    it('createAccount refuses a user key registered already, keeping the first account', async t => {
      const store = await subject.open(t)
      const first = { name: 'Alice', passwordHash: 'scrypt$first', createdAt: 1_700_000_000_000 }
      assert.equal(await store.createAccount('alice', first), true)
      assert.equal(await store.createAccount('alice', { name: 'ALICE', passwordHash: 'scrypt$second', createdAt: 2 }), false)
      assert.deepEqual(await store.getAccount('alice'), first)
      assert.equal(await store.getAccount('bob'), undefined)
      assert.equal(await store.createAccount('bob', { name: 'bob', passwordHash: 'x', createdAt: 3 }), true)
      assert.equal((await store.getAccount('bob'))?.name, 'bob')
    })

    it('any Unicode round-trips: astral characters, NUL and control characters, quotes, backslashes', async t => {
      const store = await subject.open(t)
      const text = 'a\u0000b"c\\d/e\n\r\t\u0001\u001f\u007f é ü 中文 😀🎉 \u2028\u2029 \ud83d\ude00 \u{10ffff} end'
      const room = roomStream('ünï😀')
      const stored = await store.write([
        write({ stream: room, id: 1, room: 'ünï😀', from: 'Zoë😀', text, ts: 5 }, { idempotency: { scope: 'zoë', key: 'ключ "😀"' } }),
        write({ stream: conversationStream('zoë', 'émile'), id: 1, to: 'Émile', from: 'Zoë😀', text, ts: 6 }, { inboxFor: 'émile' })
      ])
      assert.deepEqual(await store.readAfter(room, 0, 10), [stored[0]])
      assert.equal(stored[0].text, text)
      assert.deepEqual(await store.readBefore(conversationStream('zoë', 'émile'), undefined, 10), [stored[1]])
      assert.deepEqual(await store.findByKey({ scope: 'zoë', key: 'ключ "😀"' }), stored[0])
      assert.deepEqual((await store.readInbox('émile', 10)).map(e => e.message), [stored[1]])
      const account = { name: 'Zoë😀', passwordHash: 'h\u0000"', createdAt: 1 }
      assert.equal(await store.createAccount('zoë😀', account), true)
      assert.deepEqual(await store.getAccount('zoë😀'), account)
    })
  }
}

describe('RedisStore.prune: bounded work per call', () => {
  const redis = suiteRedis({ before, after }, { persistence: false })

  it('visits at most streamsPerCall streams and removes at most messagesPerStream from each; later calls finish the work', async t => {
    const store = await openRedisStore(t, redis().url, { prune: { streamsPerCall: 2, messagesPerStream: 5 } })
    const rooms = ['a', 'b', 'c', 'd'].map(roomStream)
    for (const room of rooms) await store.commit(Array.from({ length: 12 }, (_, i) => write(roomMessage(room, i + 1))))
    const removed: number[] = []
    for (let call = 0; call < 20; call++) removed.push(await store.prune({ maxMessagesPerStream: 2 }, Date.now()))
    assert.ok(removed.every(n => n <= 2 * 5), `each call removed at most 10: ${removed.join(' ')}`)
    assert.equal(removed.reduce((a, b) => a + b, 0), 4 * 10)
    for (const room of rooms) {
      assert.equal(await store.floor(room), 10)
      assert.deepEqual(ids(await store.readAfter(room, 0, 100)), [11, 12])
    }
  })

  it('drops the leading inbox entries whose message retention removed', async t => {
    const store = await openRedisStore(t, redis().url)
    await store.commit([1, 2, 3].map(i => write(directMessage(ALICE_BOB, i, 'alice', 'bob', i * 1_000), { inboxFor: 'bob' })))
    assert.equal(await store.prune({ maxAgeMs: 1_000 }, 3_500), 2)
    assert.equal(await store.redis.xlen(store.keys.inbox('bob')), 1)
    assert.deepEqual((await store.readInbox('bob', 10)).map(e => e.message.id), [3])
  })
})
