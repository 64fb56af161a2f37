import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Subscription } from '../src/subscription.js'
import type { Inbox } from '../src/subscription.js'
import { ChatError } from '../src/chat-error.js'

function make<T> (accepts: (item: T) => boolean = () => true, highWaterMark?: number) {
  const ended: Array<Inbox<T>> = []
  let spaces = 0
  const subscription = new Subscription<T>(accepts, () => { spaces++ }, s => { ended.push(s) }, highWaterMark)
  return { subscription, ended, spaces: () => spaces }
}

test('items offered before and while the app waits arrive in order', async () => {
  const { subscription } = make<number>()
  subscription.offer(1)
  subscription.offer(2)
  assert.equal(subscription.pending, 2)
  const waiting = (async () => { const got: number[] = []; for await (const n of subscription) { got.push(n); if (got.length === 4) break } return got })()
  await new Promise(resolve => setImmediate(resolve))
  subscription.offer(3)
  subscription.offer(4)
  assert.deepEqual(await waiting, [1, 2, 3, 4])
})

test('taking the item that brings it below the high-water mark reports space, once, so the client can resume reading', async () => {
  const { subscription, spaces } = make<number>(() => true, 3)
  for (let i = 0; i < 5; i++) subscription.offer(i)
  await subscription.next()
  assert.equal(spaces(), 0, 'still full (4 held): reading would only pause again')
  await subscription.next()
  assert.equal(spaces(), 0, 'still full (3 held)')
  await subscription.next()
  assert.equal(spaces(), 1, 'below the mark (2 held)')
  await subscription.next()
  await subscription.next()
  assert.equal(spaces(), 1, 'already below: nothing new to report')
  subscription.offer(5)
  subscription.offer(6)
  subscription.offer(7)
  await subscription.next()
  assert.equal(spaces(), 2, 'full again, then below again')
  assert.equal(subscription.pending, 2)
})

test('ending reports space: a read loop the subscription paused may go on', () => {
  const { subscription, spaces } = make<number>(() => true, 2)
  subscription.offer(1)
  subscription.offer(2)
  subscription.finish(new ChatError('aborted', 'stop'))
  assert.equal(spaces(), 1)
})

test('finish with an error delivers what is queued first, then throws once, then is done', async () => {
  const { subscription, ended } = make<string>()
  subscription.offer('a')
  const error = new ChatError('slow_consumer', 'too slow')
  subscription.finish(error)
  assert.deepEqual(ended, [subscription])
  assert.deepEqual(await subscription.next(), { value: 'a', done: false })
  await assert.rejects(subscription.next(), error)
  assert.deepEqual(await subscription.next(), { value: undefined, done: true })
  subscription.offer('late')
  assert.equal(subscription.pending, 0)
})

test('finish wakes an app that is waiting', async () => {
  const { subscription } = make<string>()
  const next = subscription.next()
  subscription.finish(new ChatError('connection_closed', 'gone'))
  await assert.rejects(next, { code: 'connection_closed' })
})

test('break (return) ends this subscription, drops what it held and reports space', async () => {
  const { subscription, ended, spaces } = make<number>()
  subscription.offer(1)
  subscription.offer(2)
  for await (const n of subscription) { assert.equal(n, 1); break }
  assert.equal(subscription.isFinished, true)
  assert.equal(subscription.pending, 0)
  assert.equal(ended.length, 1)
  assert.ok(spaces() >= 1, 'the end frees room')
  assert.deepEqual(await subscription.next(), { value: undefined, done: true })
})

test('a long queue drained slowly keeps its order across compaction', async () => {
  const { subscription } = make<number>()
  for (let i = 0; i < 5000; i++) subscription.offer(i)
  for (let i = 0; i < 5000; i++) {
    assert.equal((await subscription.next()).value, i)
    if (i % 1500 === 0) subscription.offer(5000 + i)
  }
  assert.equal((await subscription.next()).value, 5000)
})

test('delivered counts items handed to the app (queued or straight to a waiting next); pending those queued', async () => {
  const { subscription } = make<number>()
  assert.deepEqual([subscription.delivered, subscription.pending], [0, 0])
  subscription.offer(1)
  subscription.offer(2)
  assert.deepEqual([subscription.delivered, subscription.pending], [0, 2])
  await subscription.next()
  assert.deepEqual([subscription.delivered, subscription.pending], [1, 1])
  await subscription.next()
  const waiting = subscription.next()
  subscription.offer(3)
  assert.deepEqual(await waiting, { value: 3, done: false })
  assert.deepEqual([subscription.delivered, subscription.pending], [3, 0])
  subscription.finish()
  await subscription.next()
  subscription.offer(4)
  assert.deepEqual([subscription.delivered, subscription.pending], [3, 0], 'the end is not an item')
})

test('closed resolves with the error that ended it, as soon as it ended, while queued items can still be taken', async () => {
  const { subscription } = make<string>()
  subscription.offer('a')
  let settled = false
  void subscription.closed.then(() => { settled = true })
  await new Promise(resolve => setImmediate(resolve))
  assert.equal(settled, false)
  const error = new ChatError('server_shutdown', 'bye')
  subscription.finish(error)
  assert.equal(await subscription.closed, error)
  assert.equal(subscription.pending, 1)
  assert.deepEqual(await subscription.next(), { value: 'a', done: false })
  await assert.rejects(subscription.next(), error)
  subscription.finish(new ChatError('other', 'later'))
  assert.equal(await subscription.closed, error, 'settled once')
})

test('closed resolves undefined for a normal end: finish() without error, or break', async () => {
  const ended = make<number>()
  ended.subscription.finish()
  assert.equal(await ended.subscription.closed, undefined)

  const broken = make<number>()
  broken.subscription.offer(1)
  broken.subscription.offer(2)
  for await (const n of broken.subscription) { assert.equal(n, 1); break }
  assert.equal(await broken.subscription.closed, undefined)
  assert.deepEqual([broken.subscription.delivered, broken.subscription.pending], [1, 0])
})

test('closed never rejects, so an app need not handle it', async () => {
  const { subscription } = make<number>()
  const outcome = subscription.closed.then(reason => ({ resolved: true, reason }), () => ({ resolved: false, reason: undefined }))
  subscription.finish(new ChatError('aborted', 'stop'))
  assert.equal((await outcome).resolved, true)
})

function makeBatch<T> (highWaterMark = 1) {
  let spaces = 0
  const subscription = new Subscription<T, T[]>(() => true, () => { spaces++ }, () => {}, highWaterMark, true)
  return { subscription, spaces: () => spaces }
}

test('batch mode: each step takes every item queued, as an array in order; delivered and pending count items', async () => {
  const { subscription } = makeBatch<number>()
  for (let i = 1; i <= 5; i++) subscription.offer(i)
  assert.equal(subscription.pending, 5)
  assert.deepEqual(await subscription.next(), { value: [1, 2, 3, 4, 5], done: false })
  assert.deepEqual([subscription.delivered, subscription.pending], [5, 0])
  subscription.offer(6)
  assert.deepEqual(await subscription.next(), { value: [6], done: false })
  assert.equal(subscription.delivered, 6)
})

test('batch mode: what is offered in one synchronous run while the app waits comes as one array', async () => {
  const { subscription } = makeBatch<number>()
  const waiting = subscription.next()
  // As the read loop does with one chunk's messages.
  subscription.offer(1)
  subscription.offer(2)
  subscription.offer(3)
  assert.deepEqual(await waiting, { value: [1, 2, 3], done: false })
  assert.deepEqual([subscription.delivered, subscription.pending], [3, 0])
  const next = subscription.next()
  await new Promise(resolve => setImmediate(resolve))
  subscription.offer(4)
  assert.deepEqual(await next, { value: [4], done: false })
})

test('batch mode: taking a batch that brings it below the high-water mark reports space', async () => {
  const { subscription, spaces } = makeBatch<number>(3)
  subscription.offer(1)
  subscription.offer(2)
  await subscription.next()
  assert.equal(spaces(), 0, 'it was not full')
  for (let i = 0; i < 4; i++) subscription.offer(i)
  await subscription.next()
  assert.equal(spaces(), 1)
  // Offered while the app waits, over the mark: handed over, and the space reported.
  const waiting = subscription.next()
  for (let i = 0; i < 4; i++) subscription.offer(i)
  await waiting
  assert.equal(spaces(), 2)
})

test('batch mode: an end that comes while a batch is due to a waiting app comes after the batch', async () => {
  const { subscription } = makeBatch<string>()
  const waiting = subscription.next()
  subscription.offer('a')
  subscription.offer('b')
  const error = new ChatError('connection_closed', 'gone')
  subscription.finish(error)
  assert.deepEqual(await waiting, { value: ['a', 'b'], done: false })
  await assert.rejects(subscription.next(), error)
  assert.deepEqual(await subscription.next(), { value: undefined, done: true })

  const normal = makeBatch<string>().subscription
  const next = normal.next()
  normal.offer('x')
  normal.finish()
  assert.deepEqual(await next, { value: ['x'], done: false })
  assert.deepEqual(await normal.next(), { value: undefined, done: true })
})

test('batch mode: break drops what it held; an end with nothing queued wakes the waiting app', async () => {
  const { subscription } = makeBatch<number>()
  subscription.offer(1)
  for await (const batch of subscription) { assert.deepEqual(batch, [1]); subscription.offer(2); break }
  assert.equal(subscription.pending, 0)
  assert.deepEqual(await subscription.next(), { value: undefined, done: true })

  const idle = makeBatch<number>().subscription
  const waiting = idle.next()
  idle.finish(new ChatError('aborted', 'stop'))
  await assert.rejects(waiting, { code: 'aborted' })
})
