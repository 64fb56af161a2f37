import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Harness, startRedis, waitUntil, within } from '@chat/testing'
import type { Redis } from 'ioredis'
import { conversationStream, createRedisClient, roomStream, StoreError, waitReady } from '../src/index.js'
import type { CommitWrite } from '../src/index.js'
import { freshPrefix, openRedisStore, suiteRedis } from './redis-fixture.js'

const ROOM = roomStream('general')

function roomWrite (text: string, more: Omit<CommitWrite, 'message'> & { room?: string, from?: string, ts?: number } = {}): CommitWrite {
  const { room = 'general', from = 'alice', ts = 1_000, ...rest } = more
  return { message: { stream: roomStream(room), room, from, text, ts }, ...rest }
}

function directWrite (from: string, to: string, text: string, more: Omit<CommitWrite, 'message'> = {}): CommitWrite {
  return { message: { stream: conversationStream(from.toLowerCase(), to.toLowerCase()), to, from, text, ts: 2_000 }, ...more }
}

/** Everything published on `channels`, in arrival order, from a subscriber connection of its own. */
async function subscribe (h: Harness, client: Redis, channels: string[]): Promise<Array<{ channel: string, payload: string }>> {
  const received: Array<{ channel: string, payload: string }> = []
  client.on('message', (channel: string, payload: string) => { received.push({ channel, payload }) })
  await client.subscribe(...channels)
  h.defer('unsubscribing', () => { client.disconnect() })
  return received
}

describe('RedisStore.commit', () => {
  const redis = suiteRedis({ before, after }, { persistence: false })

  it('gives ids 1..3000 exactly once to 3 connections committing 1,000 messages each at once, published in id order', async t => {
    const h = new Harness(t)
    // The three share one prefix: one chat service, three nodes.
    const prefix = freshPrefix()
    const shared = await Promise.all([0, 1, 2].map(async () => await openRedisStore(t, redis().url, { prefix })))
    const published = await subscribe(h, redis().client(), [shared[0].keys.roomChannel('general')])
    const outcomes = await Promise.all(shared.map(async (store, n) => {
      const batches = Array.from({ length: 100 }, (_, b) => Array.from({ length: 10 }, (_, i) => roomWrite(`n${n} #${b * 10 + i}`)))
      // All of a node's batches in flight at once (pipelined on its connection).
      return (await Promise.all(batches.map(async batch => await store.commit(batch)))).flat()
    }))
    for (const mine of outcomes) {
      assert.equal(mine.length, 1_000)
      mine.forEach((o, i) => { if (i > 0) assert.ok(o.id > mine[i - 1].id, 'a connection\'s ids increase in its commit order') })
      assert.ok(mine.every(o => !o.duplicate && o.ts === 1_000))
    }
    assert.deepEqual(outcomes.flat().map(o => o.id).sort((a, b) => a - b), Array.from({ length: 3_000 }, (_, i) => i + 1))
    const stored = await shared[0].readAfter(ROOM, 0, 10_000)
    assert.deepEqual(stored.map(m => m.id), Array.from({ length: 3_000 }, (_, i) => i + 1))
    assert.equal(new Set(stored.map(m => m.text)).size, 3_000, 'each message stored once')
    assert.equal(await shared[0].redis.xlen(shared[0].keys.stream(ROOM)), 3_000)
    assert.equal(await shared[0].lastId(ROOM), 3_000)
    // One publish per commit, in commit (= id) order, with what was stored.
    await waitUntil(() => published.length === 300, () => `300 publishes, got ${published.length}`)
    const messages = published.flatMap(p => (JSON.parse(p.payload) as { t: string, m: Array<[number, number, string, string]> }).m)
    assert.deepEqual(messages, stored.map(m => [m.id, m.ts, m.from, m.text]))
    assert.ok(published.every(p => JSON.parse(p.payload).m.length === 10))
  })

  it('a key stored already (in the same batch or an earlier one) is a duplicate: its stored id and ts, nothing written or published', async t => {
    const h = new Harness(t)
    const store = await openRedisStore(t, redis().url)
    const published = await subscribe(h, redis().client(), [store.keys.roomChannel('general')])
    const key = { scope: 'alice', key: 'k-1' }
    assert.deepEqual(await store.commit([
      roomWrite('first', { idempotency: key, ts: 10 }),
      roomWrite('again in the batch', { idempotency: key, ts: 11 }),
      roomWrite('same key, other scope', { idempotency: { scope: 'bob', key: 'k-1' }, ts: 12 })
    ]), [{ id: 1, ts: 10, duplicate: false }, { id: 1, ts: 10, duplicate: true }, { id: 2, ts: 12, duplicate: false }])
    assert.deepEqual(await store.commit([roomWrite('a retry', { idempotency: key, ts: 20 }), roomWrite('new', { ts: 21 })]),
      [{ id: 1, ts: 10, duplicate: true }, { id: 3, ts: 21, duplicate: false }])
    assert.deepEqual((await store.readAfter(ROOM, 0, 10)).map(m => m.text), ['first', 'same key, other scope', 'new'])
    assert.equal(await store.lastId(ROOM), 3)
    await waitUntil(() => published.length === 2, 'two publishes')
    assert.deepEqual(published.map(p => JSON.parse(p.payload).m.map((m: unknown[]) => m[3])), [['first', 'same key, other scope'], ['new']])
    // Once retention removed the message, the key stores a new one (as findByKey no longer finds it).
    await store.prune({ maxMessagesPerStream: 1 }, 0)
    assert.deepEqual(await store.commit([roomWrite('after retention', { idempotency: key, ts: 30 })]), [{ id: 4, ts: 30, duplicate: false }])
    assert.equal((await store.findByKey(key))?.text, 'after retention')
  })

  it('publishes one payload per room and one per target node per commit, in commit order; any text round-trips through JSON', async t => {
    const h = new Harness(t)
    const store = await openRedisStore(t, redis().url)
    const k = store.keys
    const channels = [k.roomChannel('general'), k.roomChannel('ünï 😀'), k.nodeChannel('n2'), k.nodeChannel('n3')]
    const published = await subscribe(h, redis().client(), channels)
    const text = 'a\u0000b"c\\d/e\n\r\t\u0001\u001f\u007f é 中文 😀🎉 \u2028\u2029 \u{10ffff} end'
    const first = await store.commit([
      roomWrite('g1', { ts: 1_700_000_000_123 }),
      roomWrite(text, { room: 'ünï 😀', from: 'Zoë "😀"' }),
      directWrite('alice', 'Bob', text, { targetNode: 'n2', targetKey: 'bob' }),
      roomWrite('g2', { ts: 1_700_000_000_124 }),
      directWrite('dave', 'Bob', 'second dm', { targetNode: 'n2', targetKey: 'bob' }),
      directWrite('alice', 'Carol', 'offline', { inboxFor: 'carol' }),
      directWrite('alice', 'Erin', 'to n3', { targetNode: 'n3', targetKey: 'erin' })
    ])
    assert.deepEqual(first.map(o => o.id), [1, 1, 1, 2, 1, 1, 1])
    await store.commit([roomWrite('g3', { ts: 3 }), directWrite('alice', 'Bob', 'dm 2', { targetNode: 'n2', targetKey: 'bob' })])
    await waitUntil(() => published.length === 6, () => `6 publishes, got ${published.length}`)
    assert.deepEqual(published.map(p => [p.channel, JSON.parse(p.payload)]), [
      [k.roomChannel('general'), { t: 'm', m: [[1, 1_700_000_000_123, 'alice', 'g1'], [2, 1_700_000_000_124, 'alice', 'g2']] }],
      [k.roomChannel('ünï 😀'), { t: 'm', m: [[1, 1_000, 'Zoë "😀"', text]] }],
      [k.nodeChannel('n2'), { t: 'dm', m: [[1, 2_000, 'alice', 'Bob', text, 'bob', 'd:alice bob'], [1, 2_000, 'dave', 'Bob', 'second dm', 'bob', 'd:bob dave']] }],
      [k.nodeChannel('n3'), { t: 'dm', m: [[1, 2_000, 'alice', 'Erin', 'to n3', 'erin', 'd:alice erin']] }],
      [k.roomChannel('general'), { t: 'm', m: [[3, 3, 'alice', 'g3']] }],
      [k.nodeChannel('n2'), { t: 'dm', m: [[2, 2_000, 'alice', 'Bob', 'dm 2', 'bob', 'd:alice bob']] }]
    ])
    assert.equal(JSON.parse(published[1].payload).m[0][3], text, 'the text comes back exactly')
  })

  it('with retention configured: keys expire with maxAgeMs, streams are trimmed to maxMessagesPerStream in the commit itself', async t => {
    const store = await openRedisStore(t, redis().url, { retention: { maxAgeMs: 60_000, maxMessagesPerStream: 5 } })
    for (let b = 0; b < 3; b++) await store.commit(Array.from({ length: 4 }, (_, i) => roomWrite(`m${b * 4 + i + 1}`, { idempotency: { scope: 'a', key: `k${b * 4 + i + 1}` } })))
    assert.equal(await store.lastId(ROOM), 12)
    assert.equal(await store.floor(ROOM), 7)
    assert.deepEqual((await store.readAfter(ROOM, 0, 100)).map(m => m.id), [8, 9, 10, 11, 12])
    assert.equal(await store.findByKey({ scope: 'a', key: 'k7' }), undefined)
    assert.equal((await store.findByKey({ scope: 'a', key: 'k8' }))?.id, 8)
    const ttl = await store.redis.pttl(store.keys.idempotency('a', 'k12'))
    assert.ok(ttl > 0 && ttl <= 60_000, `key TTL ${ttl}`)
    assert.equal(await store.prune({ maxMessagesPerStream: 5 }, Date.now()), 0, 'nothing left for prune')
  })

  it('rejects a write it cannot encode before sending anything', async t => {
    const store = await openRedisStore(t, redis().url)
    await assert.rejects(store.commit([{ message: { stream: ROOM, from: 'a', text: 'x', ts: 1.5, room: 'general' } }]), TypeError)
    await assert.rejects(store.commit([{ message: { stream: ROOM, from: 'a', text: 'x', ts: 1 } }]), TypeError)
    assert.equal(await store.lastId(ROOM), 0)
  })
})

describe('RedisStore across Redis restarts and outages', () => {
  it('keeps everything across a restart (appendonly): the same client reconnects, ids go on', async t => {
    const h = new Harness(t)
    const server = await startRedis(h, { appendfsync: 'always' })
    const store = await openRedisStore(t, server.url)
    for (let b = 0; b < 5; b++) await store.commit(Array.from({ length: 10 }, (_, i) => roomWrite(`m${b * 10 + i + 1}`, { idempotency: { scope: 'a', key: `k${b * 10 + i + 1}` } })))
    await store.commit([directWrite('alice', 'Bob', 'while away', { inboxFor: 'bob' })])
    await store.createAccount('bob', { name: 'Bob', passwordHash: 'h', createdAt: 1 })
    await store.prune({ maxMessagesPerStream: 40 }, Date.now())
    for (const restart of ['stop', 'kill'] as const) {
      await server[restart]()
      await server.start()
      await waitReady(store.redis)
      assert.equal(await store.lastId(ROOM), 50, `lastId after ${restart}`)
      assert.equal(await store.floor(ROOM), 10)
      assert.deepEqual((await store.readAfter(ROOM, 0, 100)).map(m => m.id), Array.from({ length: 40 }, (_, i) => i + 11))
      assert.equal((await store.findByKey({ scope: 'a', key: 'k50' }))?.text, 'm50')
      assert.deepEqual((await store.readInbox('bob', 10)).map(e => e.message.text), ['while away'])
      assert.equal((await store.getAccount('bob'))?.name, 'Bob')
      assert.deepEqual(await store.commit([roomWrite('k50 again', { idempotency: { scope: 'a', key: 'k50' } })]), [{ id: 50, ts: 1_000, duplicate: true }])
    }
    assert.deepEqual((await store.commit([roomWrite('after')])).map(o => o.id), [51])
  })

  it('Redis down: commits and reads reject at once with storage_error, acknowledged ones survive; after a restart the same client works again', async t => {
    const h = new Harness(t)
    const server = await startRedis(h, { appendfsync: 'always' })
    const store = await openRedisStore(t, server.url)
    // A steady stream of commits, some in flight when Redis dies.
    const acknowledged: number[] = []
    const sent = new Map<number, string>()
    const failures: unknown[] = []
    let stop = false
    const writer = (async () => {
      for (let n = 0; !stop; n++) {
        await store.commit([roomWrite(`m${n}`)]).then(([o]) => { acknowledged.push(o.id); sent.set(o.id, `m${n}`) }, err => { failures.push(err) })
        if (failures.length > 0) await new Promise(resolve => setTimeout(resolve, 5))
      }
    })()
    await waitUntil(() => acknowledged.length >= 200, 'commits before the crash')
    await server.kill()
    await waitUntil(() => failures.length > 0, 'a commit to fail')
    const started = Date.now()
    const err = await store.commit([roomWrite('while down')]).catch((e: unknown) => e)
    const read = await store.readAfter(ROOM, 0, 1).catch((e: unknown) => e)
    assert.ok(Date.now() - started < 500, 'failing takes no wait')
    for (const e of [err, read, ...failures]) {
      assert.ok(e instanceof StoreError, `a StoreError: ${String(e)}`)
      assert.equal(e.code, 'storage_error')
      assert.ok(e.cause !== undefined)
    }
    await server.start()
    await within(waitReady(store.redis), 'the client to reconnect by itself')
    await waitUntil(() => acknowledged.length >= 300, 'commits after the restart')
    stop = true
    await writer
    // Every acknowledged id is stored once, in order, with no gap: a commit whose reply was lost was not resent.
    const stored = await store.readAfter(ROOM, 0, 100_000)
    assert.deepEqual(stored.map(m => m.id), Array.from({ length: stored.length }, (_, i) => i + 1))
    assert.equal(new Set(stored.map(m => m.text)).size, stored.length, 'no message stored twice')
    assert.equal(new Set(acknowledged).size, acknowledged.length)
    for (const id of acknowledged) assert.equal(stored[id - 1]?.text, sent.get(id), `acknowledged ${id} is stored`)
  })

  it('waitReady: a lazy client connects; an unreachable server is a storage_error after the timeout or an abort', async t => {
    const h = new Harness(t)
    const server = await startRedis(h, { persistence: false })
    const lazy = createRedisClient(server.url, { lazyConnect: true })
    h.defer('closing a client', () => { lazy.disconnect() })
    assert.equal(lazy.status, 'wait')
    await waitReady(lazy)
    assert.equal(await lazy.ping(), 'PONG')
    await server.kill()
    const down = createRedisClient(server.url)
    h.defer('closing a client', () => { down.disconnect() })
    await assert.rejects(waitReady(down, { timeoutMs: 300 }), (e: StoreError) => e.code === 'storage_error' && /not ready/.test(e.message))
    await assert.rejects(waitReady(down, { signal: AbortSignal.timeout(100) }), (e: StoreError) => e.code === 'storage_error' && /aborted/.test(e.message))
    const closed = createRedisClient(server.url, { lazyConnect: true })
    closed.disconnect()
    await assert.rejects(within(waitReady(closed), 'a closed client to be refused at once', 1_000), (e: StoreError) => /stopped reconnecting/.test(e.message))
    assert.throws(() => createRedisClient('http://127.0.0.1:1'), TypeError)
  })
})
