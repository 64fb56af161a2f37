import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatClient, ConnectOptions } from '@chat/client'
import { createServer } from '@chat/server'
import { connect, Harness, collectMessages, rejectsWithCode, roundTrip, StatusLog, within } from '@chat/testing'
import { readAllHistory } from './support/history.js'
import { TcpProxy } from './support/tcp-proxy.js'
import { RECONNECT } from './support/fast-reconnect.js'


/** alice reaches the server through a proxy the test takes down; bob is connected directly; both in `room`. */
async function setup (t: TestContext, aliceOptions: Omit<ConnectOptions, 'username'> = {}) {
  const h = new Harness(t)
  const test = await h.serve(createServer({ authMode: 'open' }))
  const proxy = await TcpProxy.for(test)
  h.defer('closing the proxy', async () => { await proxy.close() })
  const alice = await h.client(proxy.url, 'alice', { ...RECONNECT, ...aliceOptions })
  const bob = await h.client(test.url, 'bob')
  for (const c of [alice, bob]) await within(c.join('room'), `${c.username} to join`)
  await roundTrip(alice, bob)
  const aliceStatus = new StatusLog(alice, 'alice')
  /** Takes the network away from alice until `restore()`; resolves once she has noticed and is retrying. */
  const outage = async (): Promise<void> => {
    proxy.mode = 'refuse'
    proxy.cut()
    await aliceStatus.next('disconnect', 'alice to be cut off')
    await aliceStatus.until(events => events.some(e => e.type === 'reconnecting' && e.attempt >= 2), 'alice to be retrying')
  }
  const restore = (): void => { proxy.mode = 'forward' }
  return { h, ...test, proxy, alice, bob, aliceStatus, outage, restore }
}

/** Tracks whether a promise has settled, and how, without awaiting it. */
function track<T> (promise: Promise<T>): { settled: () => boolean, promise: Promise<T> } {
  let settled = false
  promise.then(() => { settled = true }, () => { settled = true })
  return { settled: () => settled, promise }
}

test('a send made while disconnected waits for the reconnect and resolves with its id; other calls too', { timeout: 30_000 }, async t => {
  const { alice, bob, aliceStatus, outage, restore } = await setup(t)
  const bobInbox = collectMessages(bob, { room: 'room' }, 'bob\'s messages')
  await outage()
  const send = track(alice.send('room', 'sent while offline'))
  const history = track(alice.history('room'))
  const members = track(alice.members('room'))
  // Several failed attempts later, they are still waiting.
  await aliceStatus.until(events => events.some(e => e.type === 'reconnecting' && e.attempt >= 4), 'more reconnect attempts')
  assert.equal(send.settled(), false)
  assert.equal(history.settled(), false)
  restore()
  const ack = await within(send.promise, 'the send to resolve after the reconnect')
  await bobInbox.until(items => items.length === 1, 'the message')
  assert.deepEqual([bobInbox.items[0].id, bobInbox.items[0].text, bobInbox.items[0].from], [ack.id, 'sent while offline', 'alice'])
  // Sent after the send, so possibly before it was committed: it resolves, with or without it.
  assert.ok(Array.isArray((await within(history.promise, 'the history call')).messages))
  assert.deepEqual((await within(members.promise, 'the members call')).sort(), ['alice', 'bob'])
})

test('with the server out of reach, a call rejects with timeout after offlineTimeoutMs, and is not sent later', { timeout: 30_000 }, async t => {
  const { alice, bob, outage, restore, aliceStatus } = await setup(t, { offlineTimeoutMs: 200 })
  await outage()
  await rejectsWithCode(alice.send('room', 'timed out'), 'timeout', 'a send while offline')
  await rejectsWithCode(alice.dm('bob', 'timed out too'), 'timeout', 'a direct message while offline')
  await rejectsWithCode(alice.join('other'), 'timeout', 'a join while offline')
  assert.equal(alice.isClosed, false, 'the client itself goes on trying')
  restore()
  await aliceStatus.next('reconnect', 'alice to reconnect')
  const ack = await within(alice.send('room', 'after'), 'a send after the reconnect')
  const stored = await readAllHistory(bob, 'room')
  assert.deepEqual(stored.map(m => [m.id, m.text]), [[ack.id, 'after']], 'the timed-out send was never sent')
  assert.deepEqual((await bob.history({ with: 'alice' })).messages, [])
})

test('a call with an aborted signal rejects with aborted, at once or while waiting offline, and is not sent later', { timeout: 30_000 }, async t => {
  const { alice, bob, outage, restore, aliceStatus } = await setup(t)
  await rejectsWithCode(alice.send('room', 'never', { signal: AbortSignal.abort() }), 'aborted', 'a send with an aborted signal')
  await outage()
  const controller = new AbortController()
  const waiting = track(alice.send('room', 'aborted while offline', { signal: controller.signal }))
  const kept = track(alice.send('room', 'kept'))
  await rejectsWithCode(alice.history('room', { signal: AbortSignal.abort('no') }), 'aborted', 'a history call with an aborted signal, offline')
  assert.equal(waiting.settled(), false)
  controller.abort(new Error('the user gave up'))
  const error = await rejectsWithCode(waiting.promise, 'aborted', 'the aborted send')
  assert.equal((error.cause as Error).message, 'the user gave up')
  restore()
  await aliceStatus.next('reconnect', 'alice to reconnect')
  const ack = await within(kept.promise, 'the send that was not aborted')
  const stored = await readAllHistory(bob, 'room')
  assert.deepEqual(stored.map(m => [m.id, m.text]), [[ack.id, 'kept']], 'only the send that was not aborted was sent')
})

test('maxPendingCalls bounds the calls waiting for a connection: one more rejects with outbound_full; the others resolve after the reconnect', { timeout: 30_000 }, async t => {
  const { alice, bob, outage, restore } = await setup(t, { maxPendingCalls: 3 })
  await outage()
  const waiting = [1, 2, 3].map(i => alice.send('room', `w${i}`))
  await rejectsWithCode(alice.send('room', 'one too many'), 'outbound_full', 'a fourth call')
  restore()
  const acks = await within(Promise.all(waiting), 'the waiting sends')
  const stored = await readAllHistory(bob, 'room')
  assert.deepEqual(stored.map(m => [m.id, m.text]), acks.map((a, i) => [a.id, `w${i + 1}`]))
})

test('drain(): every outstanding send resolves, then the client closes cleanly; calls made after drain() started reject with connection_closed', { timeout: 30_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ authMode: 'open' }))
  const [alice, bob] = await h.clientsIn(url, 'room', ['alice', 'bob'], RECONNECT)
  const status = new StatusLog(alice, 'alice')
  const order: string[] = []
  const sends = Array.from({ length: 300 }, (_, i) => alice.send('room', `d${i}`).then(ack => { order.push('send'); return ack }))
  void alice.closed.then(() => { order.push('closed') })
  const drained = alice.drain()
  await rejectsWithCode(alice.send('room', 'late'), 'connection_closed', 'a send after drain() started')
  await rejectsWithCode(alice.join('late'), 'connection_closed', 'a join after drain() started')
  await within(drained, 'drain() to finish')
  const acks = await within(Promise.all(sends), 'every send to resolve')
  assert.equal(await within(alice.closed, 'closed'), undefined, 'closed resolves with no error')
  assert.equal(alice.isClosed, true)
  assert.equal(order.length, 301)
  assert.equal(order.at(-1), 'closed', 'every send resolved before the client closed')
  await status.ending()
  assert.deepEqual(status.items, [{ type: 'close' }])
  const stored = await readAllHistory(bob, 'room')
  assert.deepEqual(stored.map(m => [m.id, m.text]), acks.map((a, i) => [a.id, `d${i}`]), 'all 300 stored, not the late one')
})

test('drain() during an outage waits for the reconnect, then for the acks, then closes', { timeout: 30_000 }, async t => {
  const { alice, bob, outage, restore } = await setup(t)
  await outage()
  const sends = [1, 2, 3].map(i => alice.send('room', `o${i}`))
  const drained = track(alice.drain())
  await rejectsWithCode(alice.send('room', 'late'), 'connection_closed', 'a send after drain() started')
  assert.equal(drained.settled(), false)
  restore()
  await within(drained.promise, 'drain() to finish')
  const acks = await within(Promise.all(sends), 'the sends')
  assert.equal(await within(alice.closed, 'closed'), undefined)
  assert.deepEqual((await readAllHistory(bob, 'room')).map(m => [m.id, m.text]), acks.map((a, i) => [a.id, `o${i + 1}`]))
})

test('drain() with nothing outstanding closes at once; await using closes the client at the end of the block', { timeout: 30_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ authMode: 'open' }))
  const idle = await h.client(url, 'idle', RECONNECT)
  await within(idle.drain(), 'drain() of an idle client')
  assert.equal(idle.isClosed, true)
  assert.equal(await idle.closed, undefined)

  let scoped: ChatClient | undefined
  {
    await using client = await within(connect(url, { ...RECONNECT, username: 'scoped' }), 'connect')
    scoped = client
    await within(client.join('room'), 'join')
    await within(client.send('room', 'inside the block'), 'send')
  }
  assert.equal(scoped.isClosed, true)
  assert.equal(await within(scoped.closed, 'closed'), undefined)
  const checker = await h.client(url, 'checker')
  await within(checker.join('room'), 'join')
  assert.deepEqual(await within(checker.members('room'), 'members'), ['checker'], 'the scoped client is gone from the server too')
})
