import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect as sdkConnect } from '@chat/client'
import type { StatusEvent } from '@chat/client'
import { createServer } from '@chat/server'
import { connect, Harness, collectMessages, rejectsWithCode, StatusLog, waitUntil, within } from '@chat/testing'
import { deadAddress } from './support/dead-address.js'
import { failoverExactlyOnce } from './support/failover.js'
import { RECONNECT } from './support/fast-reconnect.js'
import { readAllHistory } from './support/history.js'
import { TcpProxy } from './support/tcp-proxy.js'

// The SDK given several addresses. Independent servers (no shared state) test where the client goes;
// one server behind two addresses tests that resuming is the same whichever address it lands on.

/** `n` independent servers on loopback. */
async function servers (h: Harness, n: number) {
  return await Promise.all(Array.from({ length: n }, async () => await h.serve(createServer({ authMode: 'open' }))))
}

function attempts (events: StatusEvent[]): Array<{ url: string, delayMs: number }> {
  return events.flatMap(e => e.type === 'reconnecting' ? [{ url: e.url, delayMs: e.delayMs }] : [])
}

test('the first address refuses connections: the client connects to the second, and client.url says so', async t => {
  const h = new Harness(t)
  const [b] = await servers(h, 1)
  const dead = await deadAddress()
  const alice = await h.client([dead, b.url], 'alice')
  assert.equal(alice.url, b.url)
  await within(alice.join('room'), 'a join on the second server')
  assert.equal(b.server.stats().users, 1)
})

test('the first address accepts and never answers: after connectTimeoutMs the client goes on to the second', async t => {
  const h = new Harness(t)
  const [b] = await servers(h, 1)
  const silent = await TcpProxy.start(1)
  silent.mode = 'blackhole'
  h.defer('closing the silent server', async () => { await silent.close() })
  const alice = await h.client([silent.url, b.url], 'alice', { connectTimeoutMs: 1_000 })
  assert.equal(alice.url, b.url)
})

test('addresses of several schemes: a dead tcp:// first, then a ws:// server', async t => {
  const h = new Harness(t)
  const b = await h.serve(createServer({ authMode: 'open' }), { transport: 'ws' })
  const alice = await h.client([await deadAddress('tcp'), b.url], 'alice')
  assert.equal(alice.url, b.url)
})

test('every address down: connect rejects with connect_failed naming each, and opens nothing more', async t => {
  const h = new Harness(t)
  const dead = [await deadAddress(), await deadAddress()]
  const error = await rejectsWithCode(connect(dead, { username: 'alice', randomize: false }), 'connect_failed', 'connect')
  assert.match(error.message, /^none of the 2 servers could be reached: /)
  for (const url of dead) assert.ok(error.message.includes(url), `${url} is named: ${error.message}`)
})

test('a login refused on the first address (name_taken) is final: the second is not tried', async t => {
  const h = new Harness(t)
  const [a, b] = await servers(h, 2)
  await h.client(a.url, 'alice')
  await rejectsWithCode(connect([a.url, b.url], { username: 'alice', randomize: false }), 'name_taken', 'the second alice')
  assert.equal(b.server.stats().connections, 0, 'the second server never heard of her')
})

test('connected to A, A shuts down: the client reconnects to B at its first attempt, status says where, and its iterator goes on there', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const [a, b] = await servers(h, 2)
  const alice = await h.client([a.url, b.url], 'alice', RECONNECT)
  const [onA, onB] = [await h.client(a.url, 'carol'), await h.client(b.url, 'dave')]
  for (const c of [alice, onA, onB]) await within(c.join('room'), `${c.username} to join`)
  const status = new StatusLog(alice, 'alice')
  const inbox = collectMessages(alice, { room: 'room' }, 'alice\'s messages')
  await within(onA.send('room', 'on A'), 'a message on A')
  await inbox.until(items => items.length === 1, 'the message on A')
  // B's room has ids of its own: after the move, alice's rejoin replays those after the last id she had (1).
  for (const text of ['B 1', 'B 2', 'B 3']) await within(onB.send('room', text), 'a message on B')

  await within(a.close(), 'A to shut down')
  const pending = alice.send('room', 'sent while away')
  const reconnect = await status.next('reconnect', 'alice to reconnect', 0, 30_000)
  assert.deepEqual([reconnect.url, reconnect.attempt], [b.url, 1])
  assert.equal(alice.url, b.url)
  const [disconnect] = status.items
  assert.ok(disconnect.type === 'disconnect' && disconnect.url === a.url, `disconnect from A first: ${JSON.stringify(disconnect)}`)
  assert.deepEqual(attempts(status.items).map(e => e.url), [b.url])

  const ack = await within(pending, 'the send made while away')
  await within(onB.send('room', 'live on B'), 'a live message on B')
  await inbox.until(items => items.some(m => m.text === 'live on B'), 'the live message on B')
  assert.deepEqual(inbox.items.map(m => [m.id, m.text]), [[1, 'on A'], [2, 'B 2'], [3, 'B 3'], [ack.id, 'sent while away'], [ack.id + 1, 'live on B']])
  const stored = (await readAllHistory(onB, 'room')).filter(m => m.text === 'sent while away')
  assert.equal(stored.length, 1, 'the send made while away is stored once, on B')
  assert.deepEqual((await within(onB.members('room'), 'B\'s members')).sort(), ['alice', 'dave'])
})

test('round robin: a dead address is left at once for the next, and the backoff waits only once a whole round failed', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const [a] = await servers(h, 1)
  const [b, c] = [await deadAddress(), await deadAddress()]
  const policy = { reconnect: true, maxReconnectAttempts: 2, reconnectTimeWait: 50, maxReconnectTimeWait: 5_000, reconnectJitter: 0 }
  const alice = await h.client([a.url, b, c], 'alice', policy)
  const status = new StatusLog(alice, 'alice')
  await within(a.close(), 'A to shut down')
  const reason = await within(alice.closed, 'alice to give up after two rounds', 30_000)
  assert.equal(reason?.code, 'reconnect_failed')
  assert.match(reason!.message, /after 6 attempt/)
  assert.deepEqual(attempts(status.items), [
    { url: b, delayMs: 0 }, { url: c, delayMs: 0 }, { url: a.url, delayMs: 50 },
    { url: b, delayMs: 0 }, { url: c, delayMs: 0 }, { url: a.url, delayMs: 100 }
  ])
})

test('round robin past a dead address to a live one: A shuts down, B is dead, C takes the client at the second attempt', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const [a, c] = await servers(h, 2)
  const b = await deadAddress()
  const alice = await h.client([a.url, b, c.url], 'alice', { ...RECONNECT, reconnectTimeWait: 10_000, maxReconnectTimeWait: 10_000 })
  const status = new StatusLog(alice, 'alice')
  await within(a.close(), 'A to shut down')
  const reconnect = await status.next('reconnect', 'alice to reach C', 0, 30_000)
  assert.deepEqual([reconnect.url, reconnect.attempt], [c.url, 2])
  // No 10 s backoff: B failing is not a whole round; each wait is the jitter alone.
  const waits = attempts(status.items)
  assert.deepEqual(waits.map(e => e.url), [b, c.url])
  assert.ok(waits.every(e => e.delayMs <= RECONNECT.reconnectJitter!), `waits: ${JSON.stringify(waits)}`)
})

test('the servers option is the list form: connect({ servers }) picks, tries and reports addresses the same way', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const [b] = await servers(h, 1)
  const dead = await deadAddress()
  const viaList = await sdkConnect([dead, b.url], { username: 'alice', randomize: false })
  const viaOption = await sdkConnect({ servers: [dead, b.url], username: 'bob', randomize: false })
  for (const c of [viaList, viaOption]) h.defer(`closing ${c.username}`, async () => { await c.close() })
  assert.deepEqual([viaList.url, viaOption.url], [b.url, b.url])
  const single = await sdkConnect({ servers: b.url, username: 'carol' })
  h.defer('closing carol', async () => { await single.close() })
  assert.equal(single.url, b.url)
})

test('randomize is the default: clients given the same list spread over the servers', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const all = await servers(h, 2)
  const urls = all.map(s => s.url)
  for (let i = 0; i < 24; i++) {
    const client = await within(connect(urls, { username: `u${i}`, reconnect: false }), 'a client to connect')
    h.defer(`closing u${i}`, async () => { await client.close() })
  }
  // All 24 on one server by chance: 2 in 2^24.
  await waitUntil(() => all.every(s => s.server.stats().users > 0), 'both servers to have users')
  assert.equal(all.reduce((sum, s) => sum + s.server.stats().users, 0), 24)
})

test('one service behind two addresses: the first goes down under a steady stream, and the client resumes through the second with every message once, in order', { timeout: 120_000 }, async t => {
  const h = new Harness(t)
  const served = await h.serve(createServer({ authMode: 'open' }))
  const proxy = await TcpProxy.for(served)
  h.defer('closing the proxy', async () => { await proxy.close() })
  const nodeA = { url: proxy.url, stop: async () => { proxy.mode = 'refuse'; proxy.cut() } }
  const nodeB = { url: served.url, stop: async () => { await served.close() } }
  await failoverExactlyOnce(h, [nodeA, nodeB])
})
