import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatMessage } from '@chat/protocol'
import { ChatError } from '../src/chat-error.js'
import type { PresenceEvent } from '../src/client-types.js'
import type { StatusEvent } from '../src/status.js'
import { SubscriptionRouter } from '../src/subscription-router.js'

function setup (highWaterMark = 3) {
  let spaces = 0
  const router = new SubscriptionRouter(highWaterMark, () => { spaces++ })
  return { router, spaces: () => spaces }
}

function msg (id: number, room = 'r'): ChatMessage {
  return { type: 'msg', id, room, from: 'bob', text: `m${id}`, ts: id }
}

function dm (id: number, from = 'bob'): ChatMessage {
  return { type: 'msg', id, to: 'alice', from, text: `d${id}`, ts: id }
}

async function drain<T> (iterator: AsyncIterator<T>, n: number): Promise<T[]> {
  const items: T[] = []
  for (let i = 0; i < n; i++) items.push((await iterator.next()).value as T)
  return items
}

test('a room message goes to every message iterator that accepts it', async () => {
  const { router } = setup()
  const all = router.messages(() => true, {})
  const roomA = router.messages(m => m.room === 'a', { room: 'a' })
  router.deliver(msg(1, 'a'))
  router.deliver(msg(2, 'b'))
  assert.deepEqual((await drain(all, 2)).map(m => m.id), [1, 2])
  assert.deepEqual((await drain(roomA, 1)).map(m => m.id), [1])
  assert.equal(roomA.pending, 0)
})

test('direct messages no iterator accepts wait for the first that does, at most highWaterMark of them', async () => {
  const { router, spaces } = setup(3)
  const roomsOnly = router.messages(m => m.room !== undefined, { direct: false })
  for (let id = 1; id <= 5; id++) router.deliverDirect(dm(id))
  assert.equal(roomsOnly.pending, 0)
  const fromCarol = router.messages(m => m.from === 'carol', { from: 'carol' })
  router.claimUnclaimed(fromCarol)
  assert.equal(fromCarol.pending, 0)
  const direct = router.messages(m => m.to !== undefined, { direct: true })
  const before = spaces()
  router.claimUnclaimed(direct)
  assert.ok(spaces() > before, 'claiming may free room: the read loop is told')
  assert.deepEqual((await drain(direct, 3)).map(m => m.id), [3, 4, 5], 'the oldest went')
  // Claimed: a later iterator does not get them again.
  const late = router.messages(() => true, {})
  router.claimUnclaimed(late)
  assert.equal(late.pending, 0)
})

test('a direct message an iterator takes is not kept for later ones', () => {
  const { router } = setup()
  router.messages(() => true, {})
  router.deliverDirect(dm(1))
  const later = router.messages(() => true, {})
  router.claimUnclaimed(later)
  assert.equal(later.pending, 0)
})

test('presence events go to the event iterators that accept them; status events to every status iterator', async () => {
  const { router } = setup()
  const roomA = router.events(e => e.room === 'a')
  const status = router.status()
  const join: PresenceEvent = { type: 'join', room: 'a', user: 'bob' }
  router.deliverEvent(join)
  router.deliverEvent({ type: 'join', room: 'b', user: 'bob' })
  router.emit({ type: 'slow_consumer' })
  assert.deepEqual(await drain(roomA, 1), [join])
  assert.equal(roomA.pending, 0)
  assert.deepEqual(await drain(status, 1), [{ type: 'slow_consumer' }])
})

test('isFull: once a message or event iterator holds highWaterMark items, until the app takes one; status iterators never count', async () => {
  const { router } = setup(2)
  const messages = router.messages(() => true, {})
  const events = router.events(() => true)
  const status = router.status()
  for (let i = 0; i < 5; i++) router.emit({ type: 'slow_consumer' })
  assert.equal(router.isFull, false)
  router.deliver(msg(1))
  assert.equal(router.isFull, false)
  router.deliver(msg(2))
  assert.equal(router.isFull, true)
  await messages.next()
  assert.equal(router.isFull, false)
  router.deliverEvent({ type: 'join', room: 'r', user: 'a' })
  router.deliverEvent({ type: 'join', room: 'r', user: 'b' })
  assert.equal(router.isFull, true)
  await events.return()
  assert.equal(router.isFull, false)
  assert.equal(status.pending, 5)
})

test('endRoom ends the iterators that may carry the room (its own, unfiltered ones), not direct-only or other rooms', async () => {
  const { router } = setup()
  const error = new ChatError('history_gone', 'gone')
  const own = router.messages(m => m.room === 'a', { room: 'a' })
  const all = router.messages(() => true, {})
  const fromBob = router.messages(m => m.from === 'bob', { from: 'bob' })
  const other = router.messages(m => m.room === 'b', { room: 'b' })
  const direct = router.messages(m => m.to !== undefined, { direct: true })
  router.endRoom('a', error)
  for (const s of [own, all, fromBob]) assert.equal(await s.closed, error)
  for (const s of [other, direct]) assert.equal(s.isFinished, false)
})

test('endAll: message and event iterators end with the reason, status iterators get the close event then end; later ones end at once', async () => {
  const { router } = setup()
  const reason = new ChatError('reconnect_failed', 'gave up')
  const messages = router.messages(() => true, {})
  const events = router.events(() => true)
  const status = router.status()
  router.deliver(msg(1))
  router.endAll(reason)
  assert.equal(await messages.closed, reason)
  assert.equal(await events.closed, reason)
  assert.equal(await status.closed, undefined)
  assert.deepEqual((await messages.next()).value?.id, 1, 'what it held comes first')
  await assert.rejects(messages.next(), reason)
  const closeEvents: StatusEvent[] = []
  for await (const s of status) closeEvents.push(s)
  assert.deepEqual(closeEvents, [{ type: 'close', error: reason }])

  const late = router.messages(() => true, {})
  assert.equal(await late.closed, reason)
  await assert.rejects(late.next(), reason)
  const lateStatus = router.status()
  assert.equal(await lateStatus.closed, reason)
})

test('endAll after a close(): iterators end normally, and the close event has no error', async () => {
  const { router } = setup()
  const status = router.status()
  router.endAll(undefined)
  assert.deepEqual(await status.next(), { value: { type: 'close' }, done: false })
  assert.deepEqual(await status.next(), { value: undefined, done: true })
  assert.deepEqual(await router.events(() => true).next(), { value: undefined, done: true })
})

test('a signal ends an iterator with aborted (already aborted: at once); an ended iterator gets nothing more', async () => {
  const { router } = setup()
  const controller = new AbortController()
  const messages = router.messages(() => true, { signal: controller.signal })
  const events = router.events(() => true, controller.signal)
  controller.abort()
  assert.equal((await messages.closed)?.code, 'aborted')
  assert.equal((await events.closed)?.code, 'aborted')
  router.deliver(msg(1))
  assert.equal(messages.pending, 0)
  const late = router.status(controller.signal)
  assert.equal((await late.closed)?.code, 'aborted')
})

test('an iterator\'s onEnd runs once when it ends', async () => {
  const { router } = setup()
  let ended = 0
  const messages = router.messages(() => true, {}, () => { ended++ })
  await messages.return()
  await messages.return()
  router.endAll(undefined)
  assert.equal(ended, 1)
})
