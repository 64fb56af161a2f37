import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeClientMessage, encodeFrame, FrameDecoder } from '@chat/protocol'
import type { ClientMessage, WelcomeMessage } from '@chat/protocol'
import { RatePacer } from '../src/rate-pacer.js'

/** Polls until `condition` holds; fails after 5 s. */
async function waitUntil (condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 2))
  }
}

const WELCOME: WelcomeMessage = {
  type: 'welcome', v: 1, re: 1, username: 'alice', heartbeatIntervalMs: 10_000, heartbeatTimeoutMs: 30_000,
  maxFrameBytes: 65_536, maxTextBytes: 16_384, registered: false, session: 's'
}

/** A pacer over a fake connection that records what was written, decoded. */
function pacer (rates: Partial<WelcomeMessage> = {}): { pacer: RatePacer, written: ClientMessage[] } {
  const written: ClientMessage[] = []
  const frames = new FrameDecoder()
  const p = new RatePacer({ ...WELCOME, ...rates }, 0, frame => {
    for (const body of frames.push(frame)) written.push(decodeClientMessage(body))
    return true
  }, () => { throw new Error('no write fails here') })
  return { pacer: p, written }
}

function send (req: number): ClientMessage {
  return { type: 'send', req, room: 'r', text: `m${req}` }
}

const reqs = (messages: ClientMessage[]): number[] => messages.map(m => (m as { req: number }).req)

test('sends go out at once within the burst (less a reserve), the rest at the announced rate, in the order made', async t => {
  const { pacer: p, written } = pacer({ messagesPerSecond: 200, messageBurst: 10 })
  t.after(() => { p.close() })
  for (let req = 1; req <= 20; req++) p.send(send(req), encodeFrame(send(req)))
  // A reserve of half the burst here (50 ms of refill is more than a tenth of 10).
  assert.deepEqual(reqs(written), [1, 2, 3, 4, 5])
  // A join is not paced: it goes at once, even while sends wait.
  p.send({ type: 'join', req: 21, room: 'x' }, encodeFrame({ type: 'join', req: 21, room: 'x' }))
  assert.equal(written.at(-1)?.type, 'join')
  await waitUntil(() => written.length === 21, 'every send, paced')
  assert.deepEqual(reqs(written.filter(m => m.type === 'send')), Array.from({ length: 20 }, (_, i) => i + 1))
})

test('a refused send goes again after retryAfterMs, before the sends made after it', async t => {
  const { pacer: p, written } = pacer({ messagesPerSecond: 1_000, messageBurst: 100 })
  t.after(() => { p.close() })
  for (let req = 1; req <= 3; req++) p.send(send(req), encodeFrame(send(req)))
  assert.deepEqual(reqs(written), [1, 2, 3])
  // The server refused 2 and 3 (2 over its rate; 3 in the window that followed).
  p.refused(send(2), encodeFrame(send(2)), 30)
  p.refused(send(3), encodeFrame(send(3)), 29)
  p.send(send(4), encodeFrame(send(4)))
  assert.deepEqual(reqs(written), [1, 2, 3], 'nothing before the wait is over')
  await waitUntil(() => written.length === 6, 'the retries and the next send')
  assert.deepEqual(reqs(written), [1, 2, 3, 2, 3, 4])
})

test('told no rates and refused, a lane goes one request at a time until it is empty', async t => {
  const { pacer: p, written } = pacer()
  t.after(() => { p.close() })
  for (let req = 1; req <= 4; req++) p.send(send(req), encodeFrame(send(req)))
  assert.deepEqual(reqs(written), [1, 2, 3, 4], 'no rates: nothing waits')
  for (const req of [2, 3, 4]) p.refused(send(req), encodeFrame(send(req)), 5)
  await waitUntil(() => written.length === 5, 'the first retry')
  await new Promise(resolve => setTimeout(resolve, 30))
  assert.deepEqual(reqs(written), [1, 2, 3, 4, 2], 'the next waits for its answer')
  p.answered(2)
  await waitUntil(() => written.length === 6, 'the second retry')
  p.answered(3)
  await waitUntil(() => written.length === 7, 'the third retry')
  p.answered(4)
  p.send(send(5), encodeFrame(send(5)))
  assert.deepEqual(reqs(written), [1, 2, 3, 4, 2, 3, 4, 5], 'the lane is back to sending at once')
})

test('close() drops what waits and writes nothing more', async () => {
  const { pacer: p, written } = pacer({ messagesPerSecond: 100, messageBurst: 2 })
  for (let req = 1; req <= 5; req++) p.send(send(req), encodeFrame(send(req)))
  const before = written.length
  p.close()
  await new Promise(resolve => setTimeout(resolve, 60))
  assert.equal(written.length, before)
})
