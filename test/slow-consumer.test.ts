import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ChatError } from '@chat/client'
import type { ChatClient, ChatMessage } from '@chat/client'
import { createServer, NO_RATE_LIMITS } from '@chat/server'
import type { ChatServer } from '@chat/server'
import { Harness, take, within } from '@chat/testing'
import type { Served } from '@chat/testing'
import { publishPipelined } from './support/publish.js'

const MAX_QUEUED_BYTES = 256 * 1024
const TEXT = 'x'.repeat(1000)
/** Kernel socket buffers on loopback hold megabytes, so how many messages it takes varies: publish until the drop. */
const MAX_MESSAGES = 100_000

interface Scenario {
  server: Served<ChatServer>
  stalled: ChatClient
  /** The stalled client's iterator, never iterated by the scenario. */
  stalledInbox: AsyncIterator<ChatMessage>
  /** How many messages were published in all. */
  sent: number
  /** What the healthy member received, checked complete and in order. */
  goodReceived: ChatMessage[]
}

/**
 * Three members of a room on a server with a small outbound bound: `pub`
 * publishes 1 KB messages, `good` reads them, `stalled` asked for messages()
 * and never iterates. Publishing goes on until the server has dropped
 * `stalled` (its room hears it leave, disconnected).
 */
async function stallOneConsumer (t: TestContext): Promise<Scenario> {
  const h = new Harness(t)
  const server = await h.serve(createServer({ maxQueuedBytes: MAX_QUEUED_BYTES, closeTimeoutMs: 300, rateLimits: NO_RATE_LIMITS }))
  const [pub, good] = await h.clientsIn(server.url, 'general', ['pub', 'good'])
  const stalled = await h.client(server.url, 'stalled', { highWaterMark: 16 })
  await stalled.join('general')
  const stalledInbox = stalled.messages()

  let dropped = false
  const goodEvents = good.events()
  const stalledLeft = (async () => {
    for await (const e of goodEvents) {
      if (e.type === 'leave' && e.user === 'stalled') {
        assert.equal(e.reason, 'disconnected')
        dropped = true
        return
      }
    }
    throw new Error('good\'s events ended before stalled left')
  })()
  stalledLeft.catch(() => {})
  const goodInbox = good.messages()

  let sent = 0
  const goodReceived: ChatMessage[] = []
  const publishing = (async () => {
    while (!dropped && sent < MAX_MESSAGES) {
      const texts = Array.from({ length: 500 }, (_, i) => `${sent + i} ${TEXT}`)
      const acks = await publishPipelined(pub, 'general', texts, 64)
      acks.forEach((ack, i) => { if (ack.id !== sent + i + 1) assert.fail(`ack ${sent + i} has id ${ack.id}`) })
      sent += texts.length
      // The healthy member keeps up: read this batch before publishing the next.
      goodReceived.push(...await take(goodInbox, texts.length, `good's messages ${sent - texts.length + 1}-${sent}`, 30_000))
    }
  })()
  await within(Promise.all([publishing, stalledLeft]), 'the server to drop the stalled client', 60_000)
  assert.ok(dropped, `the stalled client was never dropped after ${sent} messages`)

  assert.equal(goodReceived.length, sent)
  goodReceived.forEach((m, i) => {
    if (m.id !== i + 1 || !m.text.startsWith(`${i} `) || m.from !== 'pub') assert.fail(`good's message ${i}: id ${m.id}, text ${m.text.slice(0, 12)}`)
  })
  assert.equal(good.isClosed, false)
  assert.equal(pub.isClosed, false)
  assert.deepEqual(await good.members('general'), ['pub', 'good'])
  assert.equal(server.server.stats().users, 2)
  t.diagnostic(`the stalled client was dropped after ${sent} messages of ~1 KB`)
  return { server, stalled, stalledInbox, sent, goodReceived }
}

/** Drains the stalled client's iterator: what it held (a gapless prefix), then how it ended. */
async function drain (inbox: AsyncIterator<ChatMessage>, sent: number): Promise<{ count: number, error: unknown }> {
  let count = 0
  try {
    while (true) {
      const result = await within(inbox.next(), `the stalled client's message ${count + 1}`)
      if (result.done === true) return { count, error: undefined }
      const m = result.value
      if (m.id !== count + 1 || !m.text.startsWith(`${count} `)) assert.fail(`stalled's message ${count}: id ${m.id}`)
      count++
      assert.ok(count < sent, 'the stalled client cannot have received everything')
    }
  } catch (error) {
    if (error instanceof assert.AssertionError || (error instanceof Error && error.message.startsWith('timed out'))) throw error
    return { count, error }
  }
}

test('a consumer that stops reading is dropped by the server; the others get every message in order', { timeout: 120_000 }, async t => {
  const { stalled, stalledInbox, sent } = await stallOneConsumer(t)
  // When the app finally iterates, it gets what reached it, in order, then the iterator throws why the connection ended.
  const { count, error } = await drain(stalledInbox, sent)
  assert.ok(error instanceof ChatError, `the stalled iterator should end by throwing a ChatError, got ${String(error)} after ${count} messages`)
  const reason = await within(stalled.closed, 'the stalled client\'s closed')
  assert.ok(reason instanceof ChatError)
  assert.equal(reason.code, error.code)
  assert.equal(stalled.isClosed, true)
  t.diagnostic(`the stalled client held ${count} messages and ended with ${error.code}: ${error.message}`)
})

// A client that is not reading can't be told why over TCP: the error frame sits behind the full
// socket. Its own keepalive write finds the connection reset, so `closed` settles without iterating.
test('a dropped slow consumer learns it was dropped: its closed settles without iterating', {
  timeout: 120_000
}, async t => {
  const { stalled } = await stallOneConsumer(t)
  const reason = await within(stalled.closed, 'the stalled client\'s closed to settle on its own', 5_000)
  assert.ok(reason instanceof ChatError)
  assert.ok(['slow_consumer', 'connection_closed'].includes(reason.code), `got ${reason.code}`)
})

test('a dropped slow consumer that drains its iterator ends with slow_consumer or connection_closed, not a protocol error', {
  timeout: 120_000
}, async t => {
  const { stalled, stalledInbox, sent } = await stallOneConsumer(t)
  const { error } = await drain(stalledInbox, sent)
  assert.ok(error instanceof ChatError)
  assert.ok(['slow_consumer', 'connection_closed'].includes(error.code), `the iterator threw ${error.code}: ${error.message}`)
  const reason = await within(stalled.closed, 'the stalled client\'s closed')
  assert.equal(reason?.code, error.code)
})
