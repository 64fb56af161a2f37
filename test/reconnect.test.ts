import { test } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { ChatError } from '@chat/client'
import type { ChatMessage, ConnectOptions } from '@chat/client'
import { createServer } from '@chat/server'
import { Harness, assertChatError, Collected, collectMessages, nextThrows, rejectsWithCode, roundTrip, StatusLog, waitUntil, within } from '@chat/testing'
import { startCliServer } from './support/cli-server.js'
import { CuttableTransport } from './support/cuttable-transport.js'
import { assertConsecutive, byText, readAllHistory } from './support/history.js'
import { TcpProxy } from './support/tcp-proxy.js'
import { WindowedSender } from './support/windowed-sender.js'
import { RECONNECT } from './support/fast-reconnect.js'
import { tcpPassOnly } from './support/transport-pass.js'



function texts (prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`)
}

/** Every send resolved, once, and no two with the same id; returns text -> id. */
function assertAllAcked (sender: WindowedSender, what: string): Map<string, number> {
  assert.deepEqual(sender.failures.map(f => `${f.index}: ${inspect(f.error)}`), [], `${what}: no send failed`)
  sender.settled.forEach((n, i) => { if (n !== 1) assert.fail(`${what}: send ${i} settled ${n} times`) })
  const ids = new Map<string, number>()
  sender.acks.forEach((ack, i) => {
    assert.ok(ack !== undefined, `${what}: send ${i} has an ack`)
    ids.set(sender.texts[i], ack.id)
  })
  return ids
}

/** Ranges of 1..total absent from `ids`, as "a-b" strings. */
function missingRanges (ids: number[], total: number): string[] {
  const seen = new Set(ids)
  const ranges: string[] = []
  for (let id = 1; id <= total; id++) {
    if (seen.has(id)) continue
    let end = id
    while (end + 1 <= total && !seen.has(end + 1)) end++
    ranges.push(id === end ? `${id}` : `${id}-${end}`)
    id = end
  }
  return ranges
}

/** A room iterator saw ids 1..total, each once, in order, each with the text its sender was acknowledged for. */
function assertSawAll (inbox: Collected<ChatMessage>, total: number, idOf: Map<string, number>): void {
  assert.equal(inbox.error, undefined, `${inbox.name} did not fail`)
  const missing = missingRanges(inbox.items.map(m => m.id), total)
  assert.deepEqual(missing, [], `${inbox.name}: ids missing`)
  assertConsecutive(inbox.items, 1, inbox.name)
  assert.equal(inbox.items.length, total, `${inbox.name}: ${inbox.items.length} messages, expected ${total}`)
  for (const m of inbox.items) {
    if (idOf.get(m.text) !== m.id) assert.fail(`${inbox.name}: got ${JSON.stringify(m)}, but its send was acknowledged with id ${idOf.get(m.text)}`)
  }
}

test('kill -9 and restart the real server twice while two clients chat: each send resolves once, each member sees every message once, in order, with no gap', { ...tcpPassOnly('the CLI server'), timeout: 180_000 }, async t => {
  const h = new Harness(t)
  const dir = h.tempDir('chat-reconnect-')
  let server = await startCliServer(h, dir)
  const port = server.port
  const names = ['alice', 'bob']
  const clients = await h.clientsIn(server.url, 'room', names, RECONNECT)
  const statuses = clients.map((c, i) => new StatusLog(c, names[i]))
  const inboxes = clients.map((c, i) => collectMessages(c, { room: 'room' }, `${names[i]}'s messages`))
  const N = 1_000
  const senders = clients.map((c, i) => new WindowedSender(c, { room: 'room' }, texts(names[i], N), 10))
  const acked = (): number => senders.reduce((sum, s) => sum + s.ackedCount, 0)

  for (const [kill, threshold] of [[1, 300], [2, 1_100]]) {
    await waitUntil(() => acked() >= threshold, `${threshold} acknowledged sends before kill ${kill}`, 60_000)
    await server.kill()
    await waitUntil(() => statuses.every(s => s.types.filter(type => type === 'disconnect').length >= kill), `both clients to see disconnect ${kill}`)
    server = await startCliServer(h, dir, { port })
    t.diagnostic(`kill ${kill} after ${acked()} acks; restarted on port ${port}`)
  }
  await within(Promise.all(senders.map(async s => await s.done)), 'every send to settle', 60_000)
  const total = 2 * N
  const idOf = new Map<string, number>()

  await t.test('every send resolved once, with one id; history holds each text once, under that id', async () => {
    senders.forEach((s, i) => { for (const [text, id] of assertAllAcked(s, names[i])) idOf.set(text, id) })
    assert.equal(new Set(idOf.values()).size, total, 'no two sends share an id')
    const history = await readAllHistory(clients[0], 'room')
    const stored = byText(history, 'history after the restarts')
    assertConsecutive(history, 1, 'history')
    assert.equal(history.length, total, 'history holds each text once and nothing else')
    for (const [text, id] of idOf) assert.equal(stored.get(text)?.id, id, `${text} is stored under its acknowledged id`)
    for (const status of statuses) {
      assert.ok(status.types.filter(type => type === 'reconnect').length >= 2, `${status.name}: ${status.types.join(',')}`)
      assert.ok(!status.types.includes('close'), `${status.name} never closed`)
    }
    assert.ok(clients.every(c => c.isConnected))
  })

  await t.test('every member\'s iterator yielded every message once, in id order, with no gap', async () => {
    // Up to the newest id (a gap then shows in the check below, rather than as a timeout).
    for (const inbox of inboxes) await inbox.until(items => (items.at(-1)?.id ?? 0) >= total, `message ${total}`, 30_000)
    for (const inbox of inboxes) assertSawAll(inbox, total, idOf)
  })
})

test('destroying the client\'s socket three times while it sends 1,000 messages: each stored once, each send resolved with its stored id, the other member sees each once in order', { timeout: 120_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ authMode: 'open' }))
  const cuttable = new CuttableTransport()
  const alice = await h.client(url, 'alice', { ...RECONNECT, transport: cuttable.transport })
  const bob = await h.client(url, 'bob')
  for (const c of [alice, bob]) await within(c.join('room'), `${c.username} to join`)
  const aliceStatus = new StatusLog(alice, 'alice')
  const bobInbox = collectMessages(bob, { room: 'room' }, 'bob\'s messages')
  const aliceInbox = collectMessages(alice, { room: 'room' }, 'alice\'s own messages')
  const N = 1_000
  const sender = new WindowedSender(alice, { room: 'room' }, texts('m', N), 50)

  for (const [cut, threshold] of [[1, 200], [2, 500], [3, 800]]) {
    await waitUntil(() => sender.ackedCount >= threshold, `${threshold} acks before cut ${cut}`, 30_000)
    cuttable.cut()
    await aliceStatus.until(events => events.filter(e => e.type === 'reconnect').length >= cut, `reconnect ${cut}`)
  }
  await within(sender.done, 'all 1,000 sends to settle', 60_000)
  const idOf = assertAllAcked(sender, 'alice')
  assert.equal(cuttable.opened, 4, 'one connection at first, one after each cut')
  const disconnects = aliceStatus.items.filter(e => e.type === 'disconnect')
  assert.equal(disconnects.length, 3)
  for (const d of disconnects) assertChatError(d.error, 'connection_closed', 'a cut connection')

  const history = await readAllHistory(bob, 'room')
  const stored = byText(history, 'history')
  assert.equal(history.length, N, 'each of the 1,000 texts is stored once, and nothing else')
  for (const [text, id] of idOf) assert.equal(stored.get(text)?.id, id, `the send of ${text} resolved with the id history shows`)
  await bobInbox.until(items => (items.at(-1)?.id ?? 0) >= N, `message ${N}`)
  assertSawAll(bobInbox, N, idOf)

  await t.test('the sender\'s own iterator, across its reconnects, yielded each of its messages once, in order', async () => {
    await aliceInbox.until(items => (items.at(-1)?.id ?? 0) >= N, `message ${N}`)
    assertSawAll(aliceInbox, N, idOf)
  })
})

test('a half-open connection (the proxy goes silent): liveness notices, status says disconnect and reconnecting, and the client gets back in through a new connection, replacing the session the server still had', { ...tcpPassOnly('a proxy that writes frames'), timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url, port, server } = await h.serve(createServer({ authMode: 'open', heartbeatIntervalMs: 100, heartbeatTimeoutMs: 400 }))
  const proxy = await TcpProxy.start(port)
  h.defer('closing the proxy', async () => { await proxy.close() })
  const alice = await h.client(proxy.url, 'alice', RECONNECT)
  const bob = await h.client(url, 'bob')
  for (const c of [alice, bob]) await within(c.join('room'), `${c.username} to join`)
  const aliceStatus = new StatusLog(alice, 'alice')
  const aliceInbox = collectMessages(alice, { room: 'room' }, 'alice\'s messages')
  await within(bob.send('room', 'before'), 'a message before the silence')
  await aliceInbox.until(items => items.length === 1, 'the first message')

  // The network swallows everything from now on, and new connections fail, but the server
  // keeps hearing from the old one (a proxy that answers for it): it still has alice's session.
  proxy.mode = 'refuse'
  proxy.freeze({ keepUpstreamAlive: true })
  const disconnect = await aliceStatus.next('disconnect', 'alice to notice the silence')
  assertChatError(disconnect.error, 'heartbeat_timeout', 'the disconnect')
  await aliceStatus.until(events => events.some(e => e.type === 'reconnecting' && e.attempt >= 2), 'a second reconnect attempt')
  assert.equal(alice.isConnected, false)
  assert.equal(server.stats().users, 2, 'the server still has alice\'s old connection')
  const missed = await within(Promise.all([1, 2, 3].map(async i => await bob.send('room', `while silent ${i}`))), 'bob\'s sends meanwhile')

  proxy.mode = 'forward'
  const reconnect = await aliceStatus.next('reconnect', 'alice to reconnect through a new connection')
  assert.ok(reconnect.attempt >= 2)
  assert.equal(proxy.upstreams, 2, 'a new upstream connection')
  const zombie = proxy.pairs[0]
  await waitUntil(() => zombie.fromServer.some(m => m.type === 'error' && m.code === 'session_replaced'), 'the old connection to be replaced')
  const after = await within(alice.send('room', 'back'), 'alice\'s send after the reconnect')
  await aliceInbox.until(items => items.some(m => m.id === after.id), 'alice\'s own message')
  assert.deepEqual(aliceInbox.items.map(m => m.text), ['before', 'while silent 1', 'while silent 2', 'while silent 3', 'back'])
  assert.deepEqual(aliceInbox.items.slice(1, 4).map(m => m.id), missed.map(a => a.id))
  assert.ok(!aliceStatus.types.includes('close'), 'no name_taken, no giving up')
  assert.deepEqual((await within(bob.members('room'), 'the members')).sort(), ['alice', 'bob'])
  assert.equal(server.stats().users, 2)
})

test('the server down for longer than the retry budget: iterators throw reconnect_failed, closed says why, status ends with close', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url, close } = await h.serve(createServer({ authMode: 'open' }))
  const alice = await h.client(url, 'alice', { ...RECONNECT, maxReconnectAttempts: 3 })
  const bob = await h.client(url, 'bob')
  for (const c of [alice, bob]) await within(c.join('room'), `${c.username} to join`)
  await roundTrip(alice) // bob's join is in, before the iterators start
  const status = new StatusLog(alice, 'alice')
  const inbox = alice.messages({ room: 'room' })
  const all = alice.messages()
  const events = alice.events()
  await within(bob.send('room', 'queued before the end'), 'bob\'s send')
  await within(close(), 'the server to stop')
  const pending = alice.send('room', 'during the outage')
  const reason = await within(alice.closed, 'alice to give up')
  assertChatError(reason, 'reconnect_failed', 'closed')
  assert.ok(reason.cause instanceof ChatError, `the cause is the last attempt's error: ${inspect(reason.cause)}`)
  assert.equal(reason.cause.code, 'connect_failed')
  assert.equal(alice.isClosed, true)
  assert.equal(await rejectsWithCode(pending, 'reconnect_failed', 'a send waiting for the reconnect'), reason)

  // What was delivered before comes first; then the reason.
  const first = await within(inbox.next(), 'the message delivered before the outage')
  assert.equal(first.value?.text, 'queued before the end')
  const thrown = await nextThrows(inbox, 'reconnect_failed', 'the room iterator')
  assert.equal(thrown, reason)
  assert.equal((await within(all.next(), 'the catch-all iterator')).value?.text, 'queued before the end')
  await nextThrows(all, 'reconnect_failed', 'the catch-all iterator')
  await nextThrows(events, 'reconnect_failed', 'the events iterator')
  assert.equal((await within(inbox.next(), 'the iterator after it threw')).done, true, 'thrown once, then done')
  // A new iterator ends at once with the same reason; a call fails at once.
  await nextThrows(alice.messages(), 'reconnect_failed', 'an iterator made after the end')
  await rejectsWithCode(alice.send('room', 'too late'), 'connection_closed')

  await status.ending('the status iterator to end')
  assert.deepEqual(status.types, ['disconnect', 'reconnecting', 'reconnecting', 'reconnecting', 'close'])
  const attempts = status.items.flatMap(e => e.type === 'reconnecting' ? [e] : [])
  assert.deepEqual(attempts.map(e => e.attempt), [1, 2, 3])
  // Exponential backoff (20, 40, 80, capped at 100) plus up to 20 of jitter.
  attempts.forEach((e, i) => {
    const base = Math.min(100, 20 * 2 ** i)
    assert.ok(e.delayMs >= base && e.delayMs <= base + 20, `attempt ${e.attempt} waits ${e.delayMs} ms, expected ${base}..${base + 20}`)
  })
  const last = status.items.at(-1)
  assert.ok(last?.type === 'close' && last.error === reason, `status ends with close and the reason: ${inspect(last)}`)
  const disconnect = status.items[0]
  assert.ok(disconnect.type === 'disconnect')
  assertChatError(disconnect.error, 'server_shutdown', 'the disconnect')
})

test('a name taken by someone else during the outage: the attempts are refused with name_taken and the client gives up with reconnect_failed caused by it', { timeout: 30_000 }, async t => {
  const h = new Harness(t)
  const served = await h.serve(createServer({ authMode: 'open' }))
  const { server } = served
  const proxy = await TcpProxy.for(served)
  h.defer('closing the proxy', async () => { await proxy.close() })
  const alice = await h.client(proxy.url, 'alice', { ...RECONNECT, maxReconnectAttempts: 3 })
  const status = new StatusLog(alice, 'alice')
  proxy.mode = 'refuse'
  proxy.cut()
  await status.next('disconnect', 'alice to be cut off')
  await waitUntil(() => server.stats().users === 0, 'the server to see alice gone')
  const impostor = await h.client(served.url, 'alice')
  proxy.mode = 'forward'
  const reason = await within(alice.closed, 'alice to give up')
  assertChatError(reason, 'reconnect_failed', 'closed')
  assert.ok(reason.cause instanceof ChatError)
  assert.equal(reason.cause.code, 'name_taken')
  assert.equal(impostor.isClosed, false, 'the name stays with whoever has it')
})
