import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatClient } from '@chat/client'
import { encodeFrame } from '@chat/protocol'
import { createServer } from '@chat/server'
import { Harness, StatusLog, collectMessages, within } from '@chat/testing'
import type { Collected } from '@chat/testing'
import type { ChatMessage } from '@chat/client'
import { LatencyProbe } from './support/latency-probe.js'
import { rateBlindTransport } from './support/rate-blind-transport.js'

test('a client flooding a room is refused with rate_limited; the room\'s 20 honest members are not dropped, and a bystander elsewhere notices nothing', { timeout: 120_000 }, async t => {
  const h = new Harness(t)
  const { url, port, server } = await h.serve(createServer({ authMode: 'open' }))
  // The bystanders chat in another room, from another address.
  const [quietA, quietB] = await h.clientsIn(url, 'quiet', ['quietA', 'quietB'])
  const members: ChatClient[] = await h.clientsIn(url, 'busy', Array.from({ length: 20 }, (_, i) => `member${i}`))
  const statuses = members.map(m => new StatusLog(m, m.username))
  const inboxes: Array<Collected<ChatMessage>> = members.map(m => collectMessages(m, { room: 'busy' }, `${m.username}'s inbox`))
  const spammer = await h.user(port, 'spammer', { localAddress: '127.0.0.2' })
  await spammer.join('busy')

  const probe = new LatencyProbe(quietA, quietB, 'quiet')
  // As fast as the server takes it, for 3 s: 200 pipelined sends per write, whenever the socket has room.
  const started = performance.now()
  let sent = 0
  while (performance.now() - started < 3_000) {
    if (spammer.duplex.writableLength < 64 * 1024) {
      const batch: Uint8Array[] = []
      for (let i = 0; i < 200; i++) batch.push(encodeFrame({ type: 'send', req: spammer.req(), room: 'busy', text: `spam ${sent++}` }))
      spammer.sendRaw(Buffer.concat(batch))
    }
    await new Promise(resolve => setTimeout(resolve, 1))
  }
  const seconds = (performance.now() - started) / 1000
  await within(probe.stop(), 'the bystanders\' last probe')
  await spammer.sync()
  const acked = spammer.received.filter(m => m.type === 'ack').length
  const limited = spammer.received.filter(m => m.type === 'error' && m.code === 'rate_limited').length
  t.diagnostic(`spammer: ${sent} sends offered in ${seconds.toFixed(1)} s, ${acked} stored, ${limited} refused with rate_limited, ` +
    `the rest not read yet; bystander latency median ${probe.median.toFixed(1)} ms, max ${probe.max.toFixed(1)} ms over ${probe.latencies.length} probes`)

  assert.ok(limited > 0, 'the spammer was refused')
  // 400 at once, then 200/s: what the spammer got stored, whatever it offered (generous: the clock of a busy machine).
  assert.ok(acked <= 400 + 200 * (seconds + 2), `${acked} of the spammer's sends were stored`)
  assert.equal(spammer.isClosed, false, 'refusals are not fatal')
  for (const [i, inbox] of inboxes.entries()) {
    await inbox.until(items => items.filter(m => m.from === 'spammer').length === acked, `every stored spam for member${i}`, 30_000)
  }
  for (const [i, member] of members.entries()) {
    assert.equal(member.isConnected, true, `member${i} is still connected`)
    assert.deepEqual(statuses[i].types.filter(type => type !== 'slow_consumer'), [], `member${i} was not dropped`)
  }
  assert.ok(probe.latencies.length >= 20, 'the bystanders kept chatting')
  assert.ok(probe.max < 2_000, `a bystander waited up to ${probe.max.toFixed(0)} ms for a message`)
  assert.ok(server.stats().refused.rateLimited >= limited)
})

test('an SDK client sending faster than its rate: every await send() resolves, once, in the order made, paced so the server hardly refuses it', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer({ authMode: 'open', rateLimits: { messagesPerSecond: 200, messageBurst: 20 } }))
  const [alice, bob] = await h.clientsIn(url, 'general', ['alice', 'bob'])
  const inbox = collectMessages(bob, { room: 'general' }, 'bob\'s inbox')
  const texts = Array.from({ length: 300 }, (_, i) => `m${i}`)
  const started = performance.now()
  const acks = await within(Promise.all(texts.map(text => alice.send('general', text))), 'every send', 30_000)
  const seconds = (performance.now() - started) / 1000
  t.diagnostic(`300 sends at 200/s after a burst of 20: ${seconds.toFixed(2)} s, ${server.stats().refused.rateLimited} refused`)
  assert.deepEqual(acks.map(a => a.id), texts.map((_, i) => i + 1), 'stored in the order made')
  await inbox.until(items => items.length === texts.length, 'every message')
  assert.deepEqual(inbox.items.map(m => m.text), texts)
  // Paced by the rates the welcome announced; a request delayed in the network can still meet a refusal (retried).
  assert.ok(server.stats().refused.rateLimited < 30, `${server.stats().refused.rateLimited} refusals`)
  assert.ok(seconds > 1, 'it was paced, not let through')
})

test('an SDK client that was not told the rates retries each rate_limited send by itself: each stored once, in the order made', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer({ authMode: 'open', rateLimits: { messagesPerSecond: 200, messageBurst: 20 } }))
  const alice = await h.client(url, 'alice', { transport: rateBlindTransport })
  await alice.join('general')
  const [bob] = await h.clientsIn(url, 'general', ['bob'])
  const inbox = collectMessages(bob, { room: 'general' }, 'bob\'s inbox')
  const texts = Array.from({ length: 150 }, (_, i) => `m${i}`)
  const acks = await within(Promise.all(texts.map(text => alice.send('general', text))), 'every send', 30_000)
  const refused = server.stats().refused.rateLimited
  t.diagnostic(`150 sends, ${refused} refusals retried`)
  assert.ok(refused > 0, 'precondition: the server refused some')
  assert.deepEqual(acks.map(a => a.id), texts.map((_, i) => i + 1), 'each stored once, in the order made')
  await inbox.until(items => items.length === texts.length, 'every message')
  assert.deepEqual(inbox.items.map(m => m.text), texts)
  // Expensive requests alike: more history calls than the burst, each answered.
  const pages = await within(Promise.all(Array.from({ length: 120 }, () => alice.history('general', { limit: 1 }))), 'every history page', 30_000)
  assert.ok(pages.every(p => p.messages.length === 1))
})
