import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame } from '@chat/protocol'
import type { ClientMessage, ErrorMessage, ServerMessage } from '@chat/protocol'
import { Harness, sleep } from '@chat/testing'
import type { RawClient } from '@chat/testing'
import { createServer, DEFAULT_LIMITS, NO_RATE_LIMITS } from '../src/index.js'

/** Sends every message in one write (pipelined) and collects the reply to each, by its req. */
async function pipelined (client: RawClient, messages: Array<ClientMessage & { req: number }>): Promise<ServerMessage[]> {
  client.sendRaw(Buffer.concat(messages.map(m => encodeFrame(m))))
  const replies: ServerMessage[] = []
  for (const m of messages) replies.push(await client.next(r => 're' in r && r.re === m.req, `the reply to #${m.req}`))
  return replies
}

function sends (client: RawClient, texts: string[]): Array<ClientMessage & { req: number }> {
  return texts.map(text => ({ type: 'send', req: client.req(), room: 'general', text }))
}

/** A request, sent again as long as it is refused with rate_limited, after the wait it is told. */
async function allowed (client: RawClient, message: Parameters<RawClient['request']>[0]): Promise<ServerMessage> {
  for (;;) {
    const reply = await client.request(message)
    if (!isLimited(reply)) return reply
    await sleep(reply.retryAfterMs!)
  }
}

const isLimited = (m: ServerMessage): m is ErrorMessage => m.type === 'error' && m.code === 'rate_limited'

describe('rate limits', () => {
  it('the defaults: 200 messages/s (burst 400), 1 MiB/s (burst 2 MiB), 20 expensive requests/s (burst 100)', () => {
    assert.deepEqual(DEFAULT_LIMITS.rateLimits, {
      messagesPerSecond: 200, messageBurst: 400, bytesPerSecond: 1024 * 1024, byteBurst: 2 * 1024 * 1024, requestsPerSecond: 20, requestBurst: 100
    })
  })

  it('pipelined sends past the burst: the burst is acked, every later one refused with rate_limited and retryAfterMs; sent again when told, in order, all are stored in order', async t => {
    const h = new Harness(t)
    const server = createServer({ rateLimits: { messagesPerSecond: 200, messageBurst: 10 } })
    const [alice, bob] = await h.usersIn(server, 'general', 'alice', 'bob')
    const texts = Array.from({ length: 40 }, (_, i) => `m${i}`)
    let waiting = sends(alice, texts)
    const replies = await pipelined(alice, waiting)
    assert.deepEqual(replies.slice(0, 10).map(r => r.type), Array(10).fill('ack'))
    // Tokens refill by the clock while the batch is handled: on a slow machine a send or two past the
    // burst may still be admitted. Once one is refused, every later one in the window is.
    const firstRefused = replies.findIndex(isLimited)
    assert.ok(firstRefused >= 10 && firstRefused < 20, `refusals begin after the burst (at ${firstRefused})`)
    assert.ok(replies.slice(firstRefused).every(isLimited), 'every send after the first refusal, in the same window, is refused')
    for (const r of replies.slice(firstRefused)) {
      assert.ok(isLimited(r) && r.retryAfterMs !== undefined && r.retryAfterMs > 0 && r.retryAfterMs <= 1_000, JSON.stringify(r))
      assert.equal(r.type === 'error' && r.fatal, undefined, 'not fatal')
    }
    assert.equal(server.stats().refused.rateLimited, 40 - firstRefused)
    // What a client does: wait as told, then send the refused ones again, in order, with the same req.
    waiting = waiting.slice(firstRefused)
    for (let round = 0; waiting.length > 0; round++) {
      assert.ok(round < 40, 'every send got through')
      const refusals = alice.received.filter(isLimited)
      await sleep(Math.max(...refusals.slice(-waiting.length).map(r => r.retryAfterMs ?? 0)))
      const again = await pipelined(alice, waiting)
      waiting = waiting.filter((_, i) => again[i].type !== 'ack')
    }
    await bob.sync()
    const stored = bob.received.filter(m => m.type === 'msg').map(m => m.type === 'msg' && m.text)
    assert.deepEqual(stored, texts, 'each once, in the order they were made')
  })

  it('a client over its byte rate has its next send refused (all its bytes count, not only texts)', async t => {
    const h = new Harness(t)
    const server = createServer({ maxFrameBytes: 10_000, rateLimits: { bytesPerSecond: 10_000, byteBurst: 10_000 } })
    const [alice] = await h.usersIn(server, 'general', 'alice')
    const big = 'x'.repeat(9_000)
    assert.equal((await alice.request({ type: 'send', room: 'general', text: big })).type, 'ack')
    const refused = await alice.request({ type: 'send', room: 'general', text: big })
    assert.ok(isLimited(refused), JSON.stringify(refused))
    // About a second's worth of bytes, at 10,000/s.
    assert.ok(refused.retryAfterMs! > 100 && refused.retryAfterMs! < 5_000, `retryAfterMs ${refused.retryAfterMs}`)
    await sleep(refused.retryAfterMs!)
    assert.equal((await alice.request({ type: 'send', room: 'general', text: 'small' })).type, 'ack')
  })

  it('a client more than a byte burst over its byte rate is not read until it is back under (not even its pings)', { timeout: 30_000 }, async t => {
    const h = new Harness(t)
    const server = createServer({ rateLimits: { bytesPerSecond: 100_000, byteBurst: 65_536 } })
    const [alice] = await h.usersIn(server, 'general', 'alice')
    // 10,000 pings, about 230 KB in writes of 1,000: some 165 KB over a full bucket, over 1.5 s of its rate.
    const count = 10_000
    for (let from = 0; from < count; from += 1_000) {
      alice.sendRaw(Buffer.concat(Array.from({ length: 1_000 }, (_, i) => encodeFrame({ type: 'ping', n: from + i }))))
    }
    await sleep(400)
    const early = alice.received.filter(m => m.type === 'pong').length
    assert.ok(early < count, `${early} pongs within 400 ms: the server stopped reading`)
    await alice.waitFor(m => m.type === 'pong' && m.n === count - 1, 'the last pong', 20_000)
    assert.equal(alice.isClosed, false)
    t.diagnostic(`${early} of ${count} pings answered in the first 400 ms`)
  })

  it('expensive requests (history, replay, rooms, members) past their burst are refused; joins and pings are not', async t => {
    const h = new Harness(t)
    const server = createServer({ rateLimits: { requestsPerSecond: 10, requestBurst: 4 } })
    const [alice] = await h.usersIn(server, 'general', 'alice')
    const replies = await pipelined(alice, [
      { type: 'rooms', req: alice.req() },
      { type: 'members', req: alice.req(), room: 'general' },
      { type: 'history', req: alice.req(), room: 'general' },
      { type: 'replay', req: alice.req(), room: 'general', after: 0 },
      { type: 'rooms', req: alice.req() },
      { type: 'join', req: alice.req(), room: 'other' },
      { type: 'history', req: alice.req(), room: 'general' }
    ])
    assert.deepEqual(replies.map(r => isLimited(r) ? 'limited' : r.type),
      ['room_list', 'member_list', 'history_page', 'replay_done', 'limited', 'joined', 'limited'])
    await alice.sync()
  })

  it('a send the server refused is not stored, and its idempotency key is free: the same key, sent again, is stored once', async t => {
    const h = new Harness(t)
    const server = createServer({ rateLimits: { messagesPerSecond: 100, messageBurst: 1 } })
    const [alice, bob] = await h.usersIn(server, 'general', 'alice', 'bob')
    const replies = await pipelined(alice, [
      { type: 'send', req: alice.req(), room: 'general', text: 'a', key: 'key-a' },
      { type: 'send', req: alice.req(), room: 'general', text: 'b', key: 'key-b' }
    ])
    assert.equal(replies[0].type, 'ack')
    assert.ok(isLimited(replies[1]))
    await sleep(replies[1].retryAfterMs!)
    const again = await alice.request({ type: 'send', room: 'general', text: 'b', key: 'key-b' })
    assert.equal(again.type === 'ack' && again.id, 2)
    const twice = await allowed(alice, { type: 'send', room: 'general', text: 'b', key: 'key-b' })
    assert.equal(twice.type === 'ack' && twice.id, 2, 'a retry of a stored key is the same message')
    await bob.sync()
    assert.deepEqual(bob.received.filter(m => m.type === 'msg').map(m => m.type === 'msg' && m.text), ['a', 'b'])
  })

  it('the welcome announces the rates that are on; with NO_RATE_LIMITS none, and nothing is refused', async t => {
    const h = new Harness(t)
    const limited = await h.user(createServer(), 'alice')
    assert.deepEqual(limited.received.filter(m => m.type === 'welcome').map(w => w.type === 'welcome' && [w.messagesPerSecond, w.messageBurst, w.bytesPerSecond, w.byteBurst, w.requestsPerSecond, w.requestBurst]),
      [[200, 400, 1024 * 1024, 2 * 1024 * 1024, 20, 100]])
    const server = createServer({ rateLimits: NO_RATE_LIMITS })
    const [bob] = await h.usersIn(server, 'general', 'bob')
    const welcome = bob.received.find(m => m.type === 'welcome')!
    assert.equal('messagesPerSecond' in welcome || 'bytesPerSecond' in welcome || 'requestsPerSecond' in welcome, false)
    const replies = await pipelined(bob, sends(bob, Array.from({ length: 1_000 }, (_, i) => `m${i}`)))
    assert.ok(replies.every(r => r.type === 'ack'))
  })
})
