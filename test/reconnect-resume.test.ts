import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatClient, ConnectOptions } from '@chat/client'
import type { ServerMessage } from '@chat/protocol'
import type { ServerOptions } from '@chat/server'
import { createServer, NO_RATE_LIMITS } from '@chat/server'
import { Harness, assertChatError, collectMessages, roundTrip, StatusLog, take, takeUntil, waitUntil, within } from '@chat/testing'
import { CoalescingTransport } from './support/coalescing-transport.js'
import { assertConsecutive, readAllHistory } from './support/history.js'
import { TcpProxy } from './support/tcp-proxy.js'
import { WindowedSender } from './support/windowed-sender.js'
import { RECONNECT } from './support/fast-reconnect.js'


function texts (prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`)
}

async function sendAll (client: ChatClient, room: string, all: string[], window = 50): Promise<number[]> {
  const sender = new WindowedSender(client, { room }, all, window)
  await within(sender.done, `${all.length} sends`, 30_000)
  assert.deepEqual(sender.failures, [])
  return sender.acks.map(a => a!.id)
}

/** bob behind a proxy the test can take down; alice connected directly; both in `room`. */
async function outageSetup (t: TestContext, serverOptions: ServerOptions = {}) {
  const h = new Harness(t)
  const test = await h.serve(createServer({ authMode: 'open', rateLimits: NO_RATE_LIMITS, ...serverOptions }))
  const proxy = await TcpProxy.for(test)
  h.defer('closing the proxy', async () => { await proxy.close() })
  const bob = await h.client(proxy.url, 'bob', RECONNECT)
  const alice = await h.client(test.url, 'alice')
  for (const c of [bob, alice]) await within(c.join('room'), `${c.username} to join`)
  await roundTrip(bob, alice)
  return { h, ...test, proxy, alice, bob }
}

test('after a long outage, bob\'s existing iterator gets exactly the 500 messages he missed, then the live ones, with no gap at the seam', { timeout: 60_000 }, async t => {
  const { proxy, alice, bob, server } = await outageSetup(t)
  const bobStatus = new StatusLog(bob, 'bob')
  const inbox = collectMessages(bob, { room: 'room' }, 'bob\'s messages')
  await sendAll(alice, 'room', texts('before', 10))
  await inbox.until(items => items.length === 10, 'the first 10')

  proxy.mode = 'refuse'
  proxy.cut()
  await bobStatus.next('disconnect', 'bob to be cut off')
  await bobStatus.until(events => events.some(e => e.type === 'reconnecting' && e.attempt >= 3), 'bob to keep trying')
  // The server saw him go: the room is alice alone while she sends what bob will have to catch up on.
  await waitUntil(() => server.stats().users === 1, 'the server to see bob gone')
  const missedIds = await sendAll(alice, 'room', texts('missed', 500))
  assert.deepEqual([missedIds[0], missedIds[499]], [11, 510])
  assert.equal(inbox.items.length, 10, 'nothing reaches bob while he is away')

  // Alice keeps sending while bob comes back: the replay and the live messages race.
  const live = new WindowedSender(alice, { room: 'room' }, texts('live', 300), 5)
  proxy.mode = 'forward'
  await bobStatus.next('reconnect', 'bob to reconnect')
  await within(live.done, 'alice\'s live sends', 30_000)
  assert.deepEqual(live.failures, [])
  await inbox.until(items => (items.at(-1)?.id ?? 0) >= 810, 'message 810')
  assertConsecutive(inbox.items, 1, 'bob\'s iterator')
  assert.equal(inbox.items.length, 810)
  assert.deepEqual(inbox.items.map(m => m.text), [...texts('before', 10), ...texts('missed', 500), ...texts('live', 300)])
  assert.equal(inbox.error, undefined)
  assert.ok(!bobStatus.types.includes('resume_failed'))
})

test('after an outage longer than retention keeps: bob\'s room iterator ends with history_gone, status says resume_failed, and his direct-message iterator keeps working', { timeout: 60_000 }, async t => {
  const { proxy, alice, bob, server } = await outageSetup(t, { retention: { maxMessagesPerStream: 100 } })
  const bobStatus = new StatusLog(bob, 'bob')
  const roomInbox = collectMessages(bob, { room: 'room' }, 'bob\'s room messages')
  const directInbox = collectMessages(bob, { direct: true }, 'bob\'s direct messages')
  await sendAll(alice, 'room', texts('before', 5))
  await roomInbox.until(items => items.length === 5, 'the first 5')
  await within(alice.dm('bob', 'dm before'), 'a direct message before')
  await directInbox.until(items => items.length === 1, 'the first direct message')

  proxy.mode = 'refuse'
  proxy.cut()
  await bobStatus.next('disconnect', 'bob to be cut off')
  await waitUntil(() => server.stats().users === 1, 'the server to see bob gone')
  await sendAll(alice, 'room', texts('missed', 300))
  // Keeps the newest 100 (206..305): bob's 6..205 are gone.
  assert.equal(await server.applyRetention(), 205)

  proxy.mode = 'forward'
  await bobStatus.next('reconnect', 'bob to reconnect')
  const failed = await bobStatus.next('resume_failed', 'bob to find the gap')
  assert.equal(failed.room, 'room')
  assertChatError(failed.error, 'history_gone', 'resume_failed')
  await roomInbox.ending('bob\'s room iterator to end')
  assertChatError(roomInbox.error, 'history_gone', 'bob\'s room iterator')
  assert.deepEqual(roomInbox.items.map(m => m.text), texts('before', 5), 'nothing skipped silently: what came before, then the error')

  // The rest of the client goes on: direct messages, sends, and a new iterator of the room.
  assert.equal(bob.isConnected, true)
  await within(alice.dm('bob', 'dm after'), 'a direct message after')
  await directInbox.until(items => items.length === 2, 'the direct message after the gap')
  assert.deepEqual(directInbox.items.map(m => m.text), ['dm before', 'dm after'])
  const fresh = bob.messages({ room: 'room' })
  const ack = await within(alice.send('room', 'after the gap'), 'alice\'s send after')
  const [next] = await take(fresh, 1, 'a new room iterator')
  assert.deepEqual([next.id, next.text], [ack.id, 'after the gap'])
  const kept = await readAllHistory(bob, 'room').catch(err => err)
  assertChatError(kept, 'history_gone', 'history after 0')
  assert.equal(directInbox.error, undefined)
  assert.ok(!bobStatus.types.includes('close'))
})

test('a reconnect with nothing to catch up on: a live message that arrives in the same read as the joined reply is delivered', {
  timeout: 30_000,
}, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ authMode: 'open', rateLimits: NO_RATE_LIMITS }))
  let armed = false
  const coalescing = new CoalescingTransport(m => armed && m.type === 'joined')
  const alice = await h.client(url, 'alice', { ...RECONNECT, transport: coalescing.transport })
  const bob = await h.client(url, 'bob')
  for (const c of [alice, bob]) await within(c.join('room'), `${c.username} to join`)
  const status = new StatusLog(alice, 'alice')
  const inbox = collectMessages(alice, { room: 'room' }, 'alice\'s messages')
  await within(bob.send('room', 'm1'), 'm1')
  await inbox.until(items => items.length === 1, 'm1')

  // When the server has answered alice's rejoin, bob sends: his message follows the reply in one read.
  let m2: Promise<unknown> | undefined
  coalescing.onHold = () => {
    armed = false
    m2 = bob.send('room', 'm2')
  }
  armed = true
  coalescing.cut()
  await status.next('reconnect', 'alice to reconnect')
  await waitUntil(() => m2 !== undefined, 'the rejoin reply')
  await within(m2!, 'm2 to be acknowledged')
  await within(bob.send('room', 'm3'), 'm3')
  await inbox.until(items => items.some(m => m.text === 'm3'), 'm3')
  assert.equal(coalescing.merged, 1, 'the joined reply and m2 came in one read')
  assert.deepEqual(inbox.items.map(m => m.text), ['m1', 'm2', 'm3'])
})

test('a first join whose reply shares a read with a live message: after a reconnect that message is not delivered again', {
  timeout: 30_000,
}, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ authMode: 'open', rateLimits: NO_RATE_LIMITS }))
  let armed = true
  const coalescing = new CoalescingTransport((m: ServerMessage) => armed && m.type === 'joined')
  const bob = await h.client(url, 'bob')
  await within(bob.join('room'), 'bob to join')
  const alice = await h.client(url, 'alice', { ...RECONNECT, transport: coalescing.transport })
  const status = new StatusLog(alice, 'alice')
  const inbox = collectMessages(alice, { room: 'room' }, 'alice\'s messages')
  let m1: Promise<unknown> | undefined
  coalescing.onHold = () => {
    armed = false
    m1 = bob.send('room', 'm1')
  }
  await within(alice.join('room'), 'alice to join')
  await waitUntil(() => m1 !== undefined, 'alice\'s joined reply')
  await within(m1!, 'm1')
  await inbox.until(items => items.length === 1, 'm1')
  assert.equal(coalescing.merged, 1, 'the joined reply and m1 came in one read')

  coalescing.cut()
  await status.next('reconnect', 'alice to reconnect')
  await within(bob.send('room', 'm2'), 'm2')
  await inbox.until(items => items.some(m => m.text === 'm2'), 'm2')
  assert.deepEqual(inbox.items.map(m => m.text), ['m1', 'm2'])
})

test('a messages({ room, since }) replay cut off halfway goes on after the reconnect from where the iterator was, with no gap or duplicate, then live', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ authMode: 'open', rateLimits: NO_RATE_LIMITS }))
  const alice = await h.client(url, 'alice')
  await within(alice.join('room'), 'alice to join')
  await sendAll(alice, 'room', texts('stored', 2_000), 100)
  const coalescing = new CoalescingTransport(() => false)
  // A small high-water mark: the replay goes at the pace the app reads, so it is still running when cut.
  const bob = await h.client(url, 'bob', { ...RECONNECT, transport: coalescing.transport, highWaterMark: 16 })
  await within(bob.join('room'), 'bob to join')
  const status = new StatusLog(bob, 'bob')
  const iterator = bob.messages({ room: 'room', since: 0 })
  const got = await take(iterator, 300, 'the first 300 replayed')
  coalescing.cut()
  await status.next('reconnect', 'bob to reconnect')
  got.push(...await take(iterator, 1_700, 'the rest of the replay', 30_000))
  const live = await within(alice.send('room', 'live'), 'a live message')
  got.push(...await take(iterator, 1, 'the live message'))
  assertConsecutive(got, 1, 'bob\'s since iterator')
  assert.equal(got.length, 2_001)
  assert.deepEqual(got.at(-1)?.id, live.id)
  assert.deepEqual(got.map(m => m.text), [...texts('stored', 2_000), 'live'])
})

test('a batch iterator (messages({ room, since, batch: true })) cut off halfway through its replay: after the reconnect every message once, in order, then live', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ authMode: 'open', rateLimits: NO_RATE_LIMITS }))
  const alice = await h.client(url, 'alice')
  await within(alice.join('room'), 'alice to join')
  await sendAll(alice, 'room', texts('stored', 2_000), 100)
  const coalescing = new CoalescingTransport(() => false)
  const bob = await h.client(url, 'bob', { ...RECONNECT, transport: coalescing.transport, highWaterMark: 16 })
  await within(bob.join('room'), 'bob to join')
  const status = new StatusLog(bob, 'bob')
  const iterator = bob.messages({ room: 'room', since: 0, batch: true })
  let count = 0
  const upTo = (n: number) => (batch: unknown[]): boolean => { count += batch.length; return count >= n }
  const got = (await takeUntil(iterator, upTo(300), 'the first 300 replayed')).flat()
  coalescing.cut()
  await status.next('reconnect', 'bob to reconnect')
  got.push(...(await takeUntil(iterator, upTo(2_000), 'the rest of the replay', 30_000)).flat())
  const live = await within(alice.send('room', 'live'), 'a live message')
  got.push(...(await take(iterator, 1, 'the live message')).flat())
  assertConsecutive(got, 1, 'bob\'s batch iterator')
  assert.equal(got.length, 2_001)
  assert.equal(got.at(-1)?.id, live.id)
  assert.deepEqual(got.map(m => m.text), [...texts('stored', 2_000), 'live'])
  assert.equal(iterator.delivered, 2_001)
})
