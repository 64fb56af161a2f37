// Fair scheduling: big answers (replays, history pages, room lists) must not hold the server's event
// loop. Each attack comes from a client in a worker thread that reads as fast as loopback TCP goes,
// while a bystander pair chats in another room (a message every 10 ms, for enough samples); its
// latency, from when each message was due, is asserted against bounds generous enough for a shared
// 2-core machine, and the measured figures are reported as diagnostics.
import { describe, it } from 'node:test'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import assert from 'node:assert/strict'
import { encodeFrame, PROTOCOL_VERSION } from '@chat/protocol'
import { Harness, RawClient, sleep } from '@chat/testing'
import { createServer, NO_RATE_LIMITS, roomStream, SqliteStore } from '../src/index.js'
import type { MessageWrite, ServerOptions } from '../src/index.js'
import { Bystander, describeStats, Flood } from './flood.js'
import type { FloodCounts, LatencyStats } from './flood.js'

/** Bounds for a shared, busy machine; a quiet one measures far less (see the diagnostics). */
const P99_BOUND_MS = 250
const MAX_BOUND_MS = 1_000
/** How long the bystander is measured at least, and at most while an attack lasts. */
const MIN_WINDOW_MS = 1_500
const MAX_WINDOW_MS = 3_000

/** Long enough that replaying it in one go holds the event loop for most of a second on this machine. */
const LONG_REPLAY = 250_000
/** No page rate: only the slicing stands between the replay and everyone else. */
const UNPACED: ServerOptions = { pagesPerSecond: 1_000_000 }

/** A SQLite store (in a temporary directory) holding `count` messages of `text` in `room`, written directly. */
function seededStore (h: Harness, room: string, count: number, text: (id: number) => string): SqliteStore {
  const store = new SqliteStore(h.tempDir('chat-fair-'), { durability: 'normal' })
  const stream = roomStream(room)
  const ts = Date.now()
  for (let first = 1; first <= count; first += 10_000) {
    const writes: MessageWrite[] = []
    for (let id = first; id < first + 10_000 && id <= count; id++) writes.push({ message: { stream, id, room, from: 'seed', text: text(id), ts } })
    store.append(writes)
  }
  return store
}

interface Attack {
  counts: FloodCounts
  /** True if every request was answered within the window. */
  finished: boolean
  bystander: LatencyStats
  /** The event loop's delay meanwhile (its percentiles), as `monitorEventLoopDelay` saw it. */
  loopDelay: string
}

/** Starts the bystander, lets it settle, then runs the flood and measures while it lasts (between the window's bounds). */
async function underAttack (h: Harness, port: number, flood: Flood, during?: () => Promise<void>): Promise<Attack> {
  const bystander = await Bystander.start(h, port)
  await sleep(200)
  bystander.measure()
  const lag = monitorEventLoopDelay({ resolution: 1 })
  lag.enable()
  const began = performance.now()
  flood.go()
  const alongside = during?.()
  let counts = await flood.done(MAX_WINDOW_MS)
  const finished = counts !== undefined
  const rest = MIN_WINDOW_MS - (performance.now() - began)
  if (rest > 0) await sleep(rest)
  counts ??= await flood.counts()
  await alongside
  lag.disable()
  const loopDelay = `p99 ${(lag.percentile(99) / 1e6).toFixed(1)} ms, max ${(lag.max / 1e6).toFixed(1)} ms`
  return { counts, finished, bystander: await bystander.stop(), loopDelay }
}

function assertUnharmed (t: { diagnostic: (message: string) => void }, attack: Attack): void {
  const { counts } = attack
  t.diagnostic(`bystander ${describeStats(attack.bystander)}; event loop delay ${attack.loopDelay}`)
  t.diagnostic(`attacker: ${counts.answered} replies ${JSON.stringify(counts.replies)}, ${counts.messages} msg frames, ${(counts.bytes / 1e6).toFixed(1)} MB in ${counts.elapsedMs.toFixed(0)} ms${attack.finished ? '' : ' (window closed first)'}`)
  assert.deepEqual(counts.failures, [])
  assert.ok(attack.bystander.count >= 50, `the bystander was measured (${attack.bystander.count} messages)`)
  assert.ok(attack.bystander.p99 < P99_BOUND_MS, `bystander p99 ${attack.bystander.p99.toFixed(1)} ms, bound ${P99_BOUND_MS} ms`)
  assert.ok(attack.bystander.max < MAX_BOUND_MS, `bystander max ${attack.bystander.max.toFixed(1)} ms, bound ${MAX_BOUND_MS} ms`)
}

function serverWith (store: SqliteStore, options: ServerOptions = {}): ReturnType<typeof createServer> {
  // The rate limits off: this measures the scheduling alone (with them on, most of an attack is refused outright).
  return createServer({ store, durability: 'normal', rateLimits: NO_RATE_LIMITS, ...options })
}

describe('fair scheduling: a bystander stays served while one connection asks for big answers', () => {
  it('10 pipelined replays from id 0 of a 100,000-message room', { timeout: 120_000 }, async t => {
    const h = new Harness(t)
    const server = serverWith(seededStore(h, 'big', 100_000, id => `stored message number ${id}, about fifty bytes`))
    const { port } = await h.serve(server, { transport: 'tcp' })
    const flood = await Flood.start(h, { port, username: 'replayer', rooms: ['big'], requests: Array.from({ length: 10 }, () => ({ type: 'replay', room: 'big', after: 0 })) })
    const attack = await underAttack(h, port, flood)
    assertUnharmed(t, attack)
    // The replays went on meanwhile (paced, not stopped).
    assert.ok(attack.counts.messages >= 20_000, `${attack.counts.messages} replayed messages in the window`)
  })

  it('300 pipelined history pages of 500 messages with 16 KB texts', { timeout: 120_000 }, async t => {
    const h = new Harness(t)
    const server = serverWith(seededStore(h, 'wide', 2_000, id => `${id} `.padEnd(16_000, 'x')))
    const { port } = await h.serve(server, { transport: 'tcp' })
    const flood = await Flood.start(h, { port, username: 'reader', rooms: ['wide'], requests: Array.from({ length: 300 }, () => ({ type: 'history', room: 'wide', limit: 500 })) })
    const attack = await underAttack(h, port, flood)
    assertUnharmed(t, attack)
    // Every page is answered, each cut to one frame.
    const done = attack.counts.answered === 300 ? attack.counts : await flood.done(60_000)
    assert.deepEqual(done?.replies, { history_page: 300 })
  })

  it('60 pipelined room lists with 100,000 rooms; a new login meanwhile is prompt', { timeout: 180_000 }, async t => {
    const h = new Harness(t)
    const server = createServer({ durability: 'normal', rateLimits: NO_RATE_LIMITS })
    const { port } = await h.serve(server, { transport: 'tcp' })
    // 100,000 rooms with a member each, joined in one pipelined write over memory.
    const owner = await h.user(server, 'owner')
    const ROOMS = 100_000
    for (let first = 0; first < ROOMS; first += 2_000) {
      const joins: Uint8Array[] = []
      for (let i = first; i < first + 2_000; i++) joins.push(encodeFrame({ type: 'join', req: 10 + i, room: `room-${i.toString(36).padStart(4, '0')}` }))
      owner.sendRaw(Buffer.concat(joins))
      await owner.nextOfType('joined', m => m.re === 10 + first + 1_999, 60_000)
      owner.received.length = 0
      while (owner.unread.length > 0) await owner.next()
    }

    const flood = await Flood.start(h, { port, username: 'lister', rooms: [], requests: Array.from({ length: 60 }, () => ({ type: 'rooms' })) })
    let loginMs = NaN
    const attack = await underAttack(h, port, flood, async () => {
      // From when it was due: a blocked event loop delays this timer too.
      const began = performance.now() + 20
      await sleep(20)
      const newcomer = await RawClient.connect(port, 'newcomer')
      h.defer('closing newcomer', async () => { await newcomer.close() })
      newcomer.send({ type: 'hello', v: PROTOCOL_VERSION, req: 1, username: 'newcomer' })
      await newcomer.nextOfType('welcome', () => true, 60_000)
      loginMs = performance.now() - began
    })
    t.diagnostic(`a new login during the flood took ${loginMs.toFixed(1)} ms`)
    assertUnharmed(t, attack)
    assert.ok(loginMs < MAX_BOUND_MS, `the login took ${loginMs.toFixed(1)} ms`)
    const done = attack.counts.answered === 60 ? attack.counts : await flood.done(60_000)
    assert.deepEqual(done?.replies, { room_list: 60 })
  })

  it(`a replay of ${LONG_REPLAY.toLocaleString('en')} messages to a fast reader, not paced: it yields, and delivers each message once, in order`, { timeout: 120_000 }, async t => {
    const h = new Harness(t)
    const server = serverWith(seededStore(h, 'big', LONG_REPLAY, id => `stored message number ${id}, about fifty bytes`), UNPACED)
    const { port } = await h.serve(server, { transport: 'tcp' })
    const flood = await Flood.start(h, { port, username: 'replayer', rooms: ['big'], requests: [{ type: 'replay', room: 'big', after: 0 }], checkOrder: true })
    const attack = await underAttack(h, port, flood)
    assertUnharmed(t, attack)
    const done = attack.finished ? attack.counts : await flood.done(60_000)
    assert.ok(done !== undefined, 'the replay finished')
    assert.deepEqual(done.replies, { replay_done: 1 })
    assert.deepEqual(done.replayDone, [LONG_REPLAY])
    assert.equal(done.messages, LONG_REPLAY)
    assert.deepEqual(done.failures, [])
  })
})
