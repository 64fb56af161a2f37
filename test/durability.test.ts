import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { connect as netConnect } from 'node:net'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { ChatError, defaultTransport } from '@chat/client'
import type { ChatClient, ChatMessage, PullDuplex, Transport } from '@chat/client'
import { decodeServerMessage, encodeFrame, FrameDecoder, PROTOCOL_VERSION } from '@chat/protocol'
import type { ServerMessage } from '@chat/protocol'
import { createServer, NO_RATE_LIMITS } from '@chat/server'
import { Harness, nextThrows, rejectsWithCode, roundTrip, sleep, take, waitUntil, within } from '@chat/testing'
import { SERVER_BIN, startCliServer } from './support/cli-server.js'
import { assertIds, readAllBackward, readAllForward } from './support/history.js'
import { publishPipelined } from './support/publish.js'
import { tcpPassOnly } from './support/transport-pass.js'

const PASSWORD = 'correct horse battery staple'
/**
 * For clients that must stay down when their server goes: these tests are about what was
 * acknowledged before the cut. (Typed loosely: reconnecting is a client option only in newer SDKs.)
 */
const NO_RECONNECT: {} = { reconnect: false }

interface Acked { index: number, text: string, id: number }

/**
 * Sends `${prefix}-0`, `${prefix}-1`, ... to `room` until `stop()` says so or
 * a send fails, keeping `inFlight` sends waiting for their acks. Each worker
 * takes the next index and calls send() in the same tick, so the frames leave
 * in index order. Resolves once no send is waiting any more.
 */
class SendLoop {
  readonly acked: Acked[] = []
  readonly failures: unknown[] = []
  sent = 0
  readonly done: Promise<void>

  constructor (client: ChatClient, room: string, readonly prefix: string, inFlight: number, stop: () => boolean) {
    const worker = async (): Promise<void> => {
      while (!stop() && this.failures.length === 0) {
        const index = this.sent++
        const text = `${prefix}-${index}`
        try {
          const { id } = await client.send(room, text)
          this.acked.push({ index, text, id })
        } catch (err) {
          this.failures.push(err)
        }
      }
    }
    this.done = Promise.all(Array.from({ length: inFlight }, worker)).then(() => {})
  }

  /** The acknowledged sends in send order. */
  inOrder (): Acked[] {
    return [...this.acked].sort((a, b) => a.index - b.index)
  }
}

function range (from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)
}

// ---------------------------------------------------------------------------------------------

/**
 * Three clients send in a loop to a real chat-server process; `signal` stops it
 * mid-stream. A new process on the same data directory must hold every
 * acknowledged message exactly once, with its acknowledged id, in send order.
 */
async function stopMidStream (t: TestContext, signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  const h = new Harness(t)
  const dir = h.tempDir('chat-durability-')
  const first = await startCliServer(h, dir)
  const names = ['s0', 's1', 's2']
  const clients = await h.clientsIn(first.url, 'room', names, NO_RECONNECT)

  let stopping = false
  const loops = clients.map((c, i) => new SendLoop(c, 'room', names[i], 20, () => stopping))
  const ackedCount = (): number => loops.reduce((sum, l) => sum + l.acked.length, 0)
  // Some acknowledged traffic first, then more of it (by count, not by time: the same on any machine);
  // the loops keep 60 sends in flight throughout, so the signal lands mid-stream.
  await waitUntil(() => ackedCount() >= 200, 'the first 200 acks')
  await waitUntil(() => ackedCount() >= 1_000, '1,000 acks')
  assert.equal(loops.flatMap(l => l.failures).length, 0, `no send failed before the ${signal}`)
  first.signal(signal)
  const exit = await first.waitExit(`the server to exit on ${signal}`)
  assert.deepEqual(exit, signal === 'SIGKILL' ? { code: null, signal: 'SIGKILL' } : { code: 0, signal: null })
  stopping = true
  await within(Promise.all(loops.map(async l => await l.done)), `every in-flight send to settle after the ${signal}`)
  // Nothing else may cut a send (not outbound_full either, for a send made between the goodbye and the end).
  const cutCodes = signal === 'SIGKILL' ? ['connection_closed'] : ['server_shutdown', 'connection_closed']
  for (const loop of loops) {
    for (const err of loop.failures) {
      assert.ok(err instanceof ChatError && cutCodes.includes(err.code), `a send cut by ${signal} fails with ${cutCodes.join(' or ')}, got ${String(err)}`)
    }
  }
  const acked = loops.map(l => l.inOrder())
  const totalAcked = acked.reduce((sum, a) => sum + a.length, 0)
  const attempted = loops.reduce((sum, l) => sum + l.sent, 0)

  // The same data directory, a new process.
  const second = await startCliServer(h, dir)
  assert.match(second.stderr, new RegExp(`data in ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`))
  const checker = await h.client(second.url, 'checker')
  await within(checker.join('room'), 'checker to join')
  const { messages: stored, pages } = await readAllForward(checker, 'room', 500)
  const n = stored.length
  assertIds(stored, 1, n, `stored ids after the ${signal}`)

  const byId = new Map(stored.map(m => [m.id, m]))
  const texts = new Set<string>()
  for (const m of stored) {
    assert.ok(!texts.has(m.text), `${m.text} is stored once`)
    texts.add(m.text)
    assert.equal(m.room, 'room')
  }
  for (let c = 0; c < names.length; c++) {
    for (const a of acked[c]) {
      const m = byId.get(a.id)
      if (m === undefined || m.text !== a.text || m.from !== names[c]) {
        assert.fail(`acknowledged ${a.text} (id ${a.id}) is stored as ${JSON.stringify(m)}`)
      }
    }
    // A sender's stored messages are a prefix of what it sent, in order (its acked ones included).
    const own = stored.filter(m => m.from === names[c]).map(m => m.text)
    own.forEach((text, i) => { if (text !== `${names[c]}-${i}`) assert.fail(`${names[c]}'s stored message ${i} is ${text}`) })
    assert.ok(own.length >= acked[c].length, `${names[c]}: ${own.length} stored, ${acked[c].length} acknowledged`)
    assert.ok(own.length <= loops[c].sent, `${names[c]}: ${own.length} stored, ${loops[c].sent} sent`)
  }
  if (signal === 'SIGTERM') {
    // A graceful stop commits what it accepted and acknowledges it before saying goodbye.
    assert.equal(n, totalAcked, 'after a graceful stop, what is stored is exactly what was acknowledged')
  } else {
    assert.ok(n >= totalAcked)
  }

  // The database reopened cleanly: new messages continue the sequence.
  const ack = await within(checker.send('room', `after the ${signal}`), 'a send after the restart')
  assert.equal(ack.id, n + 1)
  assert.doesNotMatch(second.stderr, /"level":(40|50)/, 'no warning or error logged')

  // And a graceful stop of the restarted server works.
  await within(checker.close(), 'checker to close')
  second.signal('SIGTERM')
  assert.deepEqual(await second.waitExit('the restarted server to stop on SIGTERM'), { code: 0, signal: null })

  t.diagnostic(`${signal}: sent ${attempted}, acknowledged ${totalAcked}, stored ${n} (${n - totalAcked} committed but not acknowledged, ${attempted - n} never stored), read back in ${pages.length} page(s)`)
}

test('crash: SIGKILL while 3 clients send; after a restart every acknowledged message is there once, with its id, in order', { ...tcpPassOnly('the CLI, or raw TCP clients'), timeout: 120_000 }, async t => {
  await stopMidStream(t, 'SIGKILL')
})

test('graceful stop: SIGTERM while 3 clients send; after a restart exactly the acknowledged messages are there, in order', { ...tcpPassOnly('the CLI, or raw TCP clients'), timeout: 120_000 }, async t => {
  await stopMidStream(t, 'SIGTERM')
})

test('a second chat-server on a data directory in use exits with a clear error', { ...tcpPassOnly('the CLI, or raw TCP clients'), timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const dir = h.tempDir('chat-durability-')
  const first = await startCliServer(h, dir)
  const second = h.node([SERVER_BIN, '--port', '0', '--no-http', '--data', dir, '--auth', 'open'])
  // SQLite's busy timeout runs first: allow for it.
  const exit = await second.waitExit('the second server to give up', 30_000)
  assert.deepEqual(exit, { code: 1, signal: null })
  assert.match(second.stderr, /chat\.db is in use by another server/)
  // The first one is unaffected.
  const alice = await h.client(first.url, 'alice')
  await alice.join('room')
  assert.equal((await alice.send('room', 'still here')).id, 1)
})

test('catch-up: 1,000 stored messages then live ones, with no gap and no duplicate at the seam, while a publisher keeps sending', { timeout: 120_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ dataDir: h.tempDir('chat-durability-'), authMode: 'open', rateLimits: NO_RATE_LIMITS }))
  const [alice, bob] = await h.clientsIn(url, 'room', ['alice', 'bob'])

  const bobLive = bob.messages({ room: 'room' })
  await publishPipelined(alice, 'room', ['w0', 'w1', 'w2'])
  const seen = await take(bobLive, 3, 'bob\'s first messages')
  const lastId = seen[2].id
  assert.equal(lastId, 3)
  await within(bob.close(), 'bob to leave')

  const missedTexts = Array.from({ length: 1_000 }, (_, i) => `missed-${i}`)
  const missedAcks = await within(publishPipelined(alice, 'room', missedTexts, 100), 'alice\'s 1,000 messages')
  assert.deepEqual([missedAcks[0].id, missedAcks[999].id], [lastId + 1, lastId + 1_000])

  const carol = await h.client(url, 'carol')
  await within(carol.join('room'), 'carol to join')
  const bob2 = await h.client(url, 'bob')
  await within(bob2.join('room'), 'bob to join again')

  // The replay is requested now, and carol starts publishing in the same tick: both race from here.
  const got: ChatMessage[] = []
  const iterator = bob2.messages({ room: 'room', since: lastId })
  let stopping = false
  const publisher = new SendLoop(carol, 'room', 'live', 10, () => stopping)
  let consumeError: unknown
  const consuming = (async () => {
    try {
      for await (const m of iterator) got.push(m)
    } catch (err) {
      consumeError = err
    }
  })()

  // Well past the 1,000 (the replay catches up with carol within a few pages; the rest comes live) before carol stops.
  await waitUntil(() => consumeError !== undefined || got.length >= 1_300, 'bob to catch up and get live messages', 60_000)
  assert.equal(consumeError, undefined)
  stopping = true
  await within(publisher.done, 'carol\'s last sends to be acknowledged')
  assert.deepEqual(publisher.failures, [])
  const carolAcked = publisher.inOrder()
  const lastAck = carolAcked.at(-1)!.id
  await waitUntil(() => consumeError !== undefined || (got.at(-1)?.id ?? 0) >= lastAck, `bob to get up to id ${lastAck}`)
  assert.equal(consumeError, undefined)
  await within(iterator.return!(), 'bob\'s iterator to end')
  await within(consuming, 'bob\'s consumer to finish')

  assertIds(got, lastId + 1, lastAck, 'bob\'s catch-up')
  const missed = got.slice(0, 1_000)
  missed.forEach((m, i) => { if (m.text !== missedTexts[i] || m.from !== 'alice') assert.fail(`catch-up message ${i} is ${JSON.stringify(m)}`) })
  const live = got.slice(1_000)
  assert.equal(live.length, carolAcked.length, 'every one of carol\'s acknowledged messages, once')
  live.forEach((m, i) => {
    if (m.from !== 'carol' || m.text !== carolAcked[i].text || m.id !== carolAcked[i].id) {
      assert.fail(`message ${1_000 + i} after the catch-up is ${JSON.stringify(m)}, carol's ack says ${JSON.stringify(carolAcked[i])}`)
    }
  })
  // Where the SDK leaves the wire's replay tag on messages (a detail, not API), it shows where the seam was.
  const replayed = got.filter(m => m.replay !== undefined).length
  if (replayed > 0) {
    const firstLive = got.findIndex(m => m.replay === undefined)
    assert.ok(firstLive === -1 || firstLive >= 1_000, 'the 1,000 missed ones all come from the store')
    assert.ok(firstLive === -1 || got.slice(firstLive).every(m => m.replay === undefined), 'no stored message after the first live one')
    t.diagnostic(`bob got ${got.length} messages: ${replayed} replayed from the store (${replayed - 1_000} of them carol's), ${got.length - replayed} live; carol sent ${publisher.sent}`)
  } else {
    t.diagnostic(`bob got ${got.length} messages (1,000 missed, ${got.length - 1_000} of carol's); carol sent ${publisher.sent}`)
  }
})

test('restart in-process: history survives, room ids and direct conversation ids continue, offline messages wait', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const dir = h.tempDir('chat-durability-')
  const first = await h.serve(createServer({ dataDir: dir, authMode: 'accounts' }))
  const alice = await h.client(first.url, 'alice', { password: PASSWORD, register: true })
  const bob = await h.client(first.url, 'bob', { password: PASSWORD, register: true })
  const guest = await h.client(first.url, 'guest')
  for (const c of [alice, bob, guest]) await within(c.join('room'), `${c.username} to join`)
  for (let i = 0; i < 4; i++) {
    await alice.send('room', `a${i}`)
    await bob.send('room', `b${i}`)
  }
  await guest.send('room', 'g0')
  assert.equal((await alice.dm('bob', 'dm1')).id, 1)
  assert.equal((await bob.dm('alice', 'dm2')).id, 2)
  assert.equal((await alice.dm('bob', 'dm3')).id, 3)
  await within(bob.close(), 'bob to leave')
  const stored = await alice.dm('bob', 'while you were away')
  assert.deepEqual(stored, { id: 4, ts: stored.ts, stored: true })
  for (const c of [alice, guest]) await within(c.close(), `${c.username} to leave`)
  await within(first.close(), 'the first server to close')

  const second = await h.serve(createServer({ dataDir: dir, authMode: 'accounts' }))
  const bob2 = await h.client(second.url, 'bob', { password: PASSWORD })
  // What alice sent while bob was away reaches him at his next login, after the restart.
  const [waiting] = await take(bob2.messages({ direct: true }), 1, 'bob\'s offline message')
  assert.deepEqual([waiting.id, waiting.from, waiting.to, waiting.text], [4, 'alice', 'bob', 'while you were away'])
  const alice2 = await h.client(second.url, 'alice', { password: PASSWORD })
  assert.equal(alice2.registered, true)
  for (const c of [alice2, bob2]) await within(c.join('room'), `${c.username} to join again`)

  const history = await within(alice2.history('room'), 'the room\'s history')
  assert.deepEqual(history.messages.map(m => [m.id, m.from, m.text]), [
    [1, 'alice', 'a0'], [2, 'bob', 'b0'], [3, 'alice', 'a1'], [4, 'bob', 'b1'], [5, 'alice', 'a2'],
    [6, 'bob', 'b2'], [7, 'alice', 'a3'], [8, 'bob', 'b3'], [9, 'guest', 'g0']
  ])
  assert.equal(history.next, undefined)
  assert.equal(history.gone, undefined)
  assert.equal((await bob2.send('room', 'after restart')).id, 10)

  const conversation = await within(alice2.history({ with: 'bob' }), 'alice\'s conversation with bob')
  assert.deepEqual(conversation.messages.map(m => [m.id, m.from, m.text]),
    [[1, 'alice', 'dm1'], [2, 'bob', 'dm2'], [3, 'alice', 'dm3'], [4, 'alice', 'while you were away']])
  assert.deepEqual((await within(bob2.history({ with: 'ALICE' }), 'bob\'s side')).messages.map(m => m.id), [1, 2, 3, 4])
  assert.equal((await bob2.dm('alice', 'dm after restart')).id, 5)
  assert.equal((await alice2.dm('bob', 'and back')).id, 6)
})

test('history: paging backwards and forwards reaches every message once; limit defaults to 50 and is clamped to 1..500; members only', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ dataDir: h.tempDir('chat-durability-'), authMode: 'open', rateLimits: NO_RATE_LIMITS }))
  const [alice] = await h.clientsIn(url, 'room', ['alice'])
  const total = 1_234
  const texts = Array.from({ length: total }, (_, i) => `h${i}`)
  await within(publishPipelined(alice, 'room', texts, 100), 'the messages to be sent')

  const backward = await readAllBackward(alice, 'room', 100)
  assertIds(backward.messages, 1, total, 'paging backwards')
  backward.messages.forEach((m, i) => { if (m.text !== texts[i]) assert.fail(`backward message ${i} is ${m.text}`) })
  assert.equal(backward.pages.length, Math.ceil(total / 100))
  assert.deepEqual([backward.pages[0].messages[0].id, backward.pages[0].messages.at(-1)!.id], [total - 99, total], 'the first page is the newest')
  assert.ok(backward.pages.every(p => p.messages.length <= 100 && p.gone === undefined))

  const forward = await readAllForward(alice, 'room', 100)
  assertIds(forward.messages, 1, total, 'paging forwards')
  assert.equal(forward.pages.length, Math.ceil(total / 100))
  // A page that ends exactly at the newest message says there is no more.
  const exact = await alice.history('room', { after: total - 100, limit: 100 })
  assert.equal(exact.messages.length, 100)
  assert.equal(exact.next, undefined)
  assert.deepEqual((await alice.history('room', { after: total })).messages, [])

  const byDefault = await alice.history('room')
  assert.deepEqual(byDefault.messages.map(m => m.id), range(total - 49, total))
  assert.deepEqual(byDefault.next, { before: total - 49 })
  const clamped = await alice.history('room', { limit: 10_000 })
  assert.deepEqual(clamped.messages.map(m => m.id), range(total - 499, total))
  assert.deepEqual(clamped.next, { before: total - 499 })
  const clampedForward = await alice.history('room', { after: 0, limit: 10_000 })
  assert.deepEqual(clampedForward.messages.map(m => m.id), range(1, 500))
  assert.deepEqual(clampedForward.next, { after: 500 })
  const atLeastOne = await alice.history('room', { limit: 0 })
  assert.deepEqual(atLeastOne.messages.map(m => m.id), [total])
  const fromMiddle = await alice.history('room', { before: 10, limit: 100 })
  assert.deepEqual(fromMiddle.messages.map(m => m.id), range(1, 9))
  assert.equal(fromMiddle.next, undefined)

  // Not a member: history and replays are refused; an unknown conversation is simply empty.
  const dave = await h.client(url, 'dave')
  await rejectsWithCode(dave.history('room'), 'not_member', 'history of a room dave is not in')
  await rejectsWithCode(dave.history('room', { after: 0 }), 'not_member', 'forward history of a room dave is not in')
  await nextThrows(dave.messages({ room: 'room', since: 0 }), 'not_member', 'a replay of a room dave is not in')
  assert.deepEqual(await dave.history({ with: 'nobody' }), { messages: [] })
  await within(dave.join('room'), 'dave to join')
  assert.equal((await dave.history('room', { limit: 1 })).messages[0].id, total)
  await within(dave.leave('room'), 'dave to leave')
  await rejectsWithCode(dave.history('room'), 'not_member', 'history after leaving')
})

test('history: pages too big for one frame are cut, and paging still reaches every message once', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ dataDir: h.tempDir('chat-durability-'), authMode: 'open', rateLimits: NO_RATE_LIMITS }))
  const [alice] = await h.clientsIn(url, 'room', ['alice'])
  const total = 60
  // 60 x 8 KB is far more than one 64 KiB frame.
  const texts = Array.from({ length: total }, (_, i) => `${i}:`.padEnd(8_000, String.fromCharCode(97 + (i % 26))))
  await within(publishPipelined(alice, 'room', texts, 20), 'the big messages to be sent')
  const backward = await readAllBackward(alice, 'room', 500)
  assertIds(backward.messages, 1, total, 'paging backwards through big messages')
  assert.ok(backward.pages.length > 1, 'the pages were cut')
  backward.messages.forEach((m, i) => { if (m.text !== texts[i]) assert.fail(`message ${i} has the wrong text`) })
  const forward = await readAllForward(alice, 'room', 500)
  assertIds(forward.messages, 1, total, 'paging forwards through big messages')
  assert.ok(forward.pages.length > 1, 'the pages were cut')
})

test('retention by count: the newest n are kept, older ones are gone, and asking for them says so', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { server, url } = await h.serve(createServer({ dataDir: h.tempDir('chat-durability-'), authMode: 'open', retention: { maxMessagesPerStream: 10 } }))
  const [alice, bob] = await h.clientsIn(url, 'room', ['alice', 'bob'])
  await within(publishPipelined(alice, 'room', Array.from({ length: 30 }, (_, i) => `r${i}`)), '30 messages')
  assert.equal(await server.applyRetention(), 20)
  assert.equal(await server.applyRetention(), 0, 'nothing more to remove')

  const newest = await bob.history('room', { limit: 50 })
  assert.deepEqual(newest.messages.map(m => [m.id, m.text]), range(21, 30).map(id => [id, `r${id - 1}`]))
  assert.equal(newest.gone, true)
  assert.equal(newest.next, undefined)
  const partial = await bob.history('room', { limit: 5 })
  assert.deepEqual(partial.messages.map(m => m.id), range(26, 30))
  assert.equal(partial.gone, undefined, 'gone only on the page that reaches the oldest kept message')
  const before = await bob.history('room', { before: 25 })
  assert.deepEqual(before.messages.map(m => m.id), range(21, 24))
  assert.equal(before.gone, true)

  await nextThrows(bob.messages({ room: 'room', since: 5 }), 'history_gone', 'a replay from before the floor')
  await rejectsWithCode(bob.history('room', { after: 3 }), 'history_gone', 'history after a removed message')
  await rejectsWithCode(bob.history('room', { after: 19 }), 'history_gone', 'history after the last removed message but one')
  assert.deepEqual((await bob.history('room', { after: 20 })).messages.map(m => m.id), range(21, 30))
  assert.deepEqual((await bob.history('room', { after: 25 })).messages.map(m => m.id), range(26, 30))

  // A `since` at or after the floor works, and carries on live.
  const fromFloor = bob.messages({ room: 'room', since: 20 })
  assert.deepEqual((await take(fromFloor, 10, 'the kept messages')).map(m => m.id), range(21, 30))
  const fromLater = bob.messages({ room: 'room', since: 27 })
  assert.deepEqual((await take(fromLater, 3, 'the newest kept messages')).map(m => m.id), [28, 29, 30])
  assert.equal((await alice.send('room', 'after retention')).id, 31)
  assert.deepEqual((await take(fromFloor, 1, 'the live message after the floor replay')).map(m => [m.id, m.text]), [[31, 'after retention']])
  assert.deepEqual((await take(fromLater, 1, 'the live message after the later replay')).map(m => m.id), [31])
})

test('retention by age: everything can go, ids still continue, and the policy also applies when a server starts', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const dir = h.tempDir('chat-durability-')
  const first = await h.serve(createServer({ dataDir: dir, authMode: 'open', retention: { maxAgeMs: 3_600_000 } }))
  const [alice] = await h.clientsIn(first.url, 'room', ['alice'])
  await within(publishPipelined(alice, 'room', ['x1', 'x2', 'x3', 'x4', 'x5']), '5 messages')
  assert.equal(await first.server.applyRetention(), 0, 'nothing is an hour old yet')
  assert.equal(await first.server.applyRetention(Date.now() + 2 * 3_600_000), 5)
  const empty = await alice.history('room')
  assert.deepEqual(empty, { messages: [], gone: true })
  await rejectsWithCode(alice.history('room', { after: 0 }), 'history_gone', 'history after 0 once everything is gone')
  assert.equal((await alice.send('room', 'x6')).id, 6, 'ids continue after everything was removed')
  const since5 = alice.messages({ room: 'room', since: 5 })
  assert.deepEqual((await take(since5, 1, 'the one message kept')).map(m => m.text), ['x6'])
  // Fill up again, then restart with a count limit: it applies at listen, before anyone asks.
  await within(publishPipelined(alice, 'room', Array.from({ length: 14 }, (_, i) => `y${i}`)), '14 more messages')
  await within(alice.close(), 'alice to leave')
  await within(first.close(), 'the first server to close')

  const second = await h.serve(createServer({ dataDir: dir, authMode: 'open', retention: { maxMessagesPerStream: 4 } }))
  const [bob] = await h.clientsIn(second.url, 'room', ['bob'])
  const kept = await bob.history('room')
  assert.deepEqual(kept.messages.map(m => m.id), [17, 18, 19, 20])
  assert.equal(kept.gone, true)
  assert.equal((await bob.send('room', 'z')).id, 21)
})

test('a replay to a client that stops reading waits for it without stalling the server, and resumes when it reads', { ...tcpPassOnly('the CLI, or raw TCP clients'), timeout: 120_000 }, async t => {
  const h = new Harness(t)
  // A small outbound bound: the socket's own buffer (one 64 KiB write) is more than the quarter of it a replay fills.
  const cli = await startCliServer(h, h.tempDir('chat-durability-'), { args: ['--max-queued-bytes', '131072', '--messages-per-second', '0', '--bytes-per-second', '0'] })
  const [alice] = await h.clientsIn(cli.url, 'room', ['alice'])
  const total = 8_000
  const filler = 'x'.repeat(2_000)
  // 16 MB: more than loopback's socket buffers hold for a reader that never reads. Few in flight:
  // alice gets her own messages back, within the same small bound.
  await within(publishPipelined(alice, 'room', Array.from({ length: total }, (_, i) => `${i} ${filler}`), 16), `${total} messages`, 60_000)

  const socket = netConnect({ host: '127.0.0.1', port: cli.port })
  socket.on('error', () => {})
  h.defer('destroying the lazy socket', () => { socket.destroy() })
  await within(once(socket, 'connect'), 'the lazy client to connect')
  socket.pause() // never reads until told
  socket.write(encodeFrame({ type: 'hello', req: 1, v: PROTOCOL_VERSION, username: 'lazy' }))
  socket.write(encodeFrame({ type: 'join', req: 2, room: 'room' }))
  socket.write(encodeFrame({ type: 'replay', req: 3, room: 'room', after: 0 }))

  // Meanwhile the server keeps answering everyone else (a stalled event loop would time these out). Time
  // passing is the point here: for two seconds the replay has a reader that does not read, and all along
  // the server answers (the server is another process: how far its replay got can't be seen from here).
  for (let round = 0; round < 20; round++) {
    await within(alice.rooms(), `the server to answer alice (round ${round}) while a replay waits for a reader`)
    await sleep(100)
  }
  assert.equal((await within(alice.send('room', 'still moving'), 'a send during the stalled replay')).id, total + 1)

  // Now the lazy client reads: it gets the whole replay, in order, then replay_done.
  const received: ServerMessage[] = []
  const frames = new FrameDecoder(1024 * 1024)
  let replayDone: ServerMessage | undefined
  socket.on('data', (chunk: Buffer) => {
    for (const body of frames.push(chunk)) {
      const message = decodeServerMessage(body)
      received.push(message)
      if (message.type === 'replay_done') replayDone = message
    }
  })
  socket.resume()
  await waitUntil(() => replayDone !== undefined, 'the lazy client\'s replay_done', 60_000)
  const replayed = received.filter((m): m is ChatMessage & { type: 'msg' } => m.type === 'msg' && m.replay === 3)
  assertIds(replayed, 1, replayed.length, 'the lazy client\'s replay')
  assert.ok(replayed.length === total || replayed.length === total + 1, `replayed ${replayed.length} messages`)
  assert.deepEqual(replayDone, { type: 'replay_done', re: 3, room: 'room', lastId: replayed.length })
  assert.ok(received.every(m => m.type !== 'error'), `no error frames: ${JSON.stringify(received.filter(m => m.type === 'error'))}`)
})

test('a message accepted right at the frame limit can still be read back through history and replay', {
  timeout: 60_000,
}, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ dataDir: h.tempDir('chat-durability-'), authMode: 'open', rateLimits: NO_RATE_LIMITS }))
  const [alice, bob] = await h.clientsIn(url, 'room', ['alice', 'bob'])
  await alice.send('room', 'before')
  // Control characters escape to six bytes each: find the longest such text the server accepts in one frame.
  let accepted: number | undefined
  for (let k = 10_930; k > 10_850 && accepted === undefined; k--) {
    try {
      accepted = (await alice.send('room', '\u0001'.repeat(k))).id
    } catch (err) {
      assert.ok(err instanceof ChatError && err.code === 'message_too_long', String(err))
    }
  }
  assert.equal(accepted, 2)
  await alice.send('room', 'after')
  assert.deepEqual((await readAllForward(bob, 'room', 50)).messages.map(m => m.id), [1, 2, 3], 'forward paging reaches every message')
  assert.deepEqual((await readAllBackward(bob, 'room', 50)).messages.map(m => m.id), [1, 2, 3], 'backward paging reaches every message')
  const replay = bob.messages({ room: 'room', since: 0 })
  assert.deepEqual((await take(replay, 3, 'the replay')).map(m => m.id), [1, 2, 3])
})

/** TCP, except that the end of the server's stream reaches the client only once `released` settles. */
function heldEndTransport (released: Promise<void>): Transport {
  return async (address, options) => {
    const duplex = await defaultTransport(address, options)
    async function * source (): AsyncGenerator<Uint8Array> {
      for await (const chunk of duplex.source) yield chunk.subarray()
      await released
    }
    const held: PullDuplex = {
      source: source(),
      sink: async chunks => { await duplex.sink(chunks) },
      destroy: () => { duplex.destroy() },
      get writableLength () { return duplex.writableLength },
      closed: duplex.closed,
      remoteAddress: duplex.remoteAddress
    }
    return held
  }
}

test('a send after the server said goodbye rejects with the goodbye\'s reason, not outbound_full', {
  timeout: 60_000,
}, async t => {
  const h = new Harness(t)
  const { server, url } = await h.serve(createServer({ authMode: 'open' }))
  let release!: () => void
  const released = new Promise<void>(resolve => { release = resolve })
  h.defer('releasing the held stream', () => { release() })
  const alice = await h.client(url, 'alice', { ...NO_RECONNECT, transport: heldEndTransport(released) })
  await within(alice.join('room'), 'alice to join')
  // The server said bye, alice answered with her end: only the end of the server's stream is still on its way.
  await within(server.close(), 'the server to close')
  // Rejected at once, or once the connection has ended (released below): either way with the goodbye's reason.
  const late = alice.send('room', 'too late')
  late.catch(() => {})
  release()
  await rejectsWithCode(late, 'server_shutdown', 'a send after bye')
  await within(alice.closed, 'alice to notice the end')
})

test('idempotency keys survive a restart: a retried send is acknowledged with the original id and stored once', { ...tcpPassOnly('the CLI, or raw TCP clients'), timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const dir = h.tempDir('chat-durability-')
  const first = await h.serve(createServer({ dataDir: dir, authMode: 'open' }))
  const raw1 = await h.raw(first.port)
  const welcome = await raw1.login('alice')
  await raw1.join('room')
  const ack1 = await raw1.request({ type: 'send', room: 'room', text: 'once', key: 'k-1' })
  assert.equal(ack1.type, 'ack')
  const again = await raw1.request({ type: 'send', room: 'room', text: 'once', key: 'k-1' })
  assert.deepEqual(again, { ...ack1, re: (again as { re: number }).re }, 'a retry in the same run gets the same ack')
  raw1.destroy()
  await within(first.close(), 'the first server to close')

  const second = await h.serve(createServer({ dataDir: dir, authMode: 'open' }))
  // The guest's session goes on: it presents its token, as the SDK does when it reconnects.
  const raw2 = await h.raw(second.port)
  assert.equal((await raw2.request({ type: 'hello', v: 1, username: 'alice', resume: welcome.session })).type, 'welcome')
  await raw2.join('room')
  const retried = await raw2.request({ type: 'send', room: 'room', text: 'once', key: 'k-1' })
  assert.equal(retried.type, 'ack')
  assert.deepEqual(retried, { ...ack1, re: (retried as { re: number }).re }, 'a retry after the restart gets the original id and ts')
  const fresh = await raw2.request({ type: 'send', room: 'room', text: 'new', key: 'k-2' })
  assert.equal(fresh.type === 'ack' && fresh.id, 2)
  const history = await raw2.request({ type: 'history', room: 'room' })
  assert.ok(history.type === 'history_page')
  assert.deepEqual(history.messages.map(m => [m.id, m.text]), [[1, 'once'], [2, 'new']])
})

test('messages({ since }) beyond the newest stored id still hands over to live messages', {
  timeout: 60_000,
}, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ dataDir: h.tempDir('chat-durability-'), authMode: 'open', rateLimits: NO_RATE_LIMITS }))
  const [alice, bob] = await h.clientsIn(url, 'room', ['alice', 'bob'])
  await alice.send('room', 'one')
  // A client that remembers id 100 from before the server's data was reset, say.
  const iterator = bob.messages({ room: 'room', since: 100 })
  // The replay is done before alice sends: the server answers bob's requests in order, and a replay with
  // nothing to replay at once, so once this round trip is back bob's client has had replay_done too.
  await roundTrip(bob)
  await alice.send('room', 'two')
  const [next] = await take(iterator, 1, 'the next live message', 3_000)
  assert.deepEqual([next.id, next.text], [2, 'two'])
})

test('a retention run that fails (a full disk, say) is reported, not fatal: the server carries on', {
  timeout: 60_000,
}, async t => {
  const h = new Harness(t)
  const server = fileURLToPath(new URL('../../packages/server/dist/src/index.js', import.meta.url))
  // In a child process: an uncaught exception there must not take the test runner down.
  const script = `
    const { createServer, MemoryStore } = await import(${JSON.stringify(server)})
    const store = new MemoryStore()
    let runs = 0
    store.prune = () => {
      if (++runs === 2) throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' })
      if (runs === 4) { console.log('still running after a failed retention run'); process.exit(0) }
      return 0
    }
    const logger = { info: () => {}, warn: m => { console.error('WARN ' + m) } }
    await createServer({ store, logger, retention: { maxAgeMs: 1000 }, retentionIntervalMs: 20 }).listen({ port: 0 })
  `
  const child = h.node(['--input-type=module', '-e', script])
  const exit = await child.waitExit('the retention child to finish')
  const output = child.stdout + child.stderr
  assert.deepEqual(exit, { code: 0, signal: null }, output)
  assert.match(child.stdout, /still running after a failed retention run/)
  assert.match(child.stderr, /WARN .*disk is full/)
})
