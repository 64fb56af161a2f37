// Each connection's outstanding work is bounded: replays running at once, history and replay pages
// per second, and answers queued; beyond them its requests wait (its reading paused), they are not
// refused.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { ServerMessage } from '@chat/protocol'
import { Harness } from '@chat/testing'
import { createServer, MemoryStore, roomStream } from '../src/index.js'
import type { MessageWrite, ServerOptions } from '../src/index.js'

/** A store holding `count` messages of `textBytes` characters in `room`. */
function seeded (room: string, count: number, textBytes: number): MemoryStore {
  const store = new MemoryStore()
  const writes: MessageWrite[] = []
  for (let id = 1; id <= count; id++) writes.push({ message: { stream: roomStream(room), id, room, from: 'seed', text: `${id} `.padEnd(textBytes, 'x'), ts: 1 } })
  store.append(writes)
  return store
}

async function userIn (h: Harness, options: ServerOptions, room: string): Promise<ReturnType<Harness['connect']>> {
  const server = createServer(options)
  const client = h.connect(server, 'reader')
  await client.login('reader')
  await client.join(room)
  return client
}

const isDone = (m: ServerMessage): boolean => m.type === 'replay_done'

describe('per-connection bounds', () => {
  it('are options: positive integers, 8 replays running and 200 pages a second by default', () => {
    const server = createServer()
    assert.equal(server.options.maxPendingRequests, 8)
    assert.equal(server.options.pagesPerSecond, 200)
    void server.close()
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      assert.throws(() => createServer({ maxPendingRequests: bad }), /maxPendingRequests must be a positive integer/)
      assert.throws(() => createServer({ pagesPerSecond: bad }), /pagesPerSecond must be a positive integer/)
    }
  })

  it('replays beyond maxPendingRequests wait: the requests behind them are held until one finishes (no error)', async t => {
    const h = new Harness(t)
    // 4 KB texts: a replay step reads 32, so each replay of 100 takes several steps (and turns).
    const client = await userIn(h, { store: seeded('big', 100, 4_000), maxPendingRequests: 2 }, 'big')
    const replays = [1, 2, 3, 4, 5].map(() => {
      const req = client.req()
      client.send({ type: 'replay', req, room: 'big', after: 0 })
      return req
    })
    // A request behind them waits its turn (pings are still answered meanwhile: the peer must not seem dead).
    const joinReq = client.req()
    client.send({ type: 'join', req: joinReq, room: 'other' })
    await client.nextOfType('joined', m => m.re === joinReq)
    // Replays 3, 4 and 5 each waited for one to finish; the join, behind replay 5, for the third.
    const before = client.received.slice(0, client.received.findIndex(m => m.type === 'joined' && m.re === joinReq))
    assert.ok(before.filter(isDone).length >= 3, `${before.filter(isDone).length} replays were done before the join`)
    for (const req of replays) {
      const done = await client.nextOfType('replay_done', m => m.re === req)
      assert.equal(done.lastId, 100)
      assert.equal(client.received.filter(m => m.type === 'msg' && m.replay === req).length, 100)
    }
    assert.equal(client.received.filter(m => m.type === 'error').length, 0)
  })

  it('history pages beyond pagesPerSecond wait for their tokens (a second\'s worth in a burst)', async t => {
    const h = new Harness(t)
    const client = await userIn(h, { store: seeded('room', 10, 10), pagesPerSecond: 20 }, 'room')
    const started = performance.now()
    const reqs = Array.from({ length: 40 }, () => {
      const req = client.req()
      client.send({ type: 'history', req, room: 'room', limit: 5 })
      return req
    })
    const firstBurst = await client.nextOfType('history_page', m => m.re === reqs[19])
    const burstMs = performance.now() - started
    await client.nextOfType('history_page', m => m.re === reqs[39])
    const allMs = performance.now() - started
    t.diagnostic(`20 pages in ${burstMs.toFixed(0)} ms, 40 in ${allMs.toFixed(0)} ms`)
    assert.equal(firstBurst.type, 'history_page')
    // The other 20 came at 20 a second: about a second, however fast the machine.
    assert.ok(allMs >= 800, `40 pages at 20 a second after a burst of 20 took ${allMs.toFixed(0)} ms`)
    assert.equal(client.received.filter(m => m.type === 'history_page').length, 40)
  })

  it('a replay reads its pages at pagesPerSecond too, and still ends with every message once, in order', async t => {
    const h = new Harness(t)
    // 4 KB texts: 32 a step, so 320 messages are 10 steps; 4 tokens at once, then 4 a second.
    const client = await userIn(h, { store: seeded('big', 320, 4_000), pagesPerSecond: 4 }, 'big')
    const started = performance.now()
    const req = client.req()
    client.send({ type: 'replay', req, room: 'big', after: 0 })
    const done = await client.nextOfType('replay_done', m => m.re === req)
    const ms = performance.now() - started
    t.diagnostic(`a replay of 11 steps at 4 a second: ${ms.toFixed(0)} ms`)
    assert.ok(ms >= 1_200, `took ${ms.toFixed(0)} ms`)
    assert.equal(done.lastId, 320)
    assert.deepEqual(client.received.filter(m => m.type === 'msg').map(m => m.type === 'msg' && m.id), Array.from({ length: 320 }, (_, i) => i + 1))
  })

  it('a connection whose requests the server holds is not dropped for silence while its answers flow', async t => {
    const h = new Harness(t)
    // Replays of 4 steps at 4 a second, one at a time: the third waits about a second for the second,
    // with the connection not read meanwhile (its pongs wait in the transport), past the heartbeat timeout.
    const client = await userIn(h, { store: seeded('big', 128, 4_000), maxPendingRequests: 1, pagesPerSecond: 4, heartbeatIntervalMs: 100, heartbeatTimeoutMs: 300 }, 'big')
    const reqs = [1, 2, 3].map(() => {
      const req = client.req()
      client.send({ type: 'replay', req, room: 'big', after: 0 })
      return req
    })
    for (const req of reqs) assert.equal((await client.nextOfType('replay_done', m => m.re === req)).lastId, 128)
    await client.sync()
    assert.deepEqual(client.received.filter(m => m.type === 'error'), [])
    assert.ok(client.received.some(m => m.type === 'ping'), 'the server pinged meanwhile (and read the pongs later)')
  })

  it('pipelined history pages wait for the client to take the previous ones: no slow_consumer', async t => {
    const h = new Harness(t)
    // 64 KiB pages into a 256 KiB queue: 100 of them would overflow it five-fold if answered at once.
    const client = await userIn(h, { store: seeded('big', 60, 15_000), maxQueuedBytes: 256 * 1024 }, 'big')
    const reqs = Array.from({ length: 100 }, () => {
      const req = client.req()
      client.send({ type: 'history', req, room: 'big', limit: 500 })
      return req
    })
    await client.nextOfType('history_page', m => m.re === reqs[99])
    assert.equal(client.received.filter(m => m.type === 'history_page').length, 100)
    assert.deepEqual(client.received.filter(m => m.type === 'error'), [])
  })
})
