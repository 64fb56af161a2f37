import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Subscription } from '../src/subscription.js'
import { ChatError } from '../src/chat-error.js'

function make<T> (accepts: (item: T) => boolean = () => true) {
  const ended: Array<Subscription<T>> = []
  let spaces = 0
  const subscription = new Subscription<T>(accepts, () => { spaces++ }, s => { ended.push(s) })
  return { subscription, ended, spaces: () => spaces }
}

test('items offered before and while the app waits arrive in order', async () => {
  const { subscription } = make<number>()
  subscription.offer(1)
  subscription.offer(2)
  assert.equal(subscription.size, 2)
  const waiting = (async () => { const got: number[] = []; for await (const n of subscription) { got.push(n); if (got.length === 4) break } return got })()
  await new Promise(resolve => setImmediate(resolve))
  subscription.offer(3)
  subscription.offer(4)
  assert.deepEqual(await waiting, [1, 2, 3, 4])
})

test('taking an item reports space, so the client can resume reading', async () => {
  const { subscription, spaces } = make<number>()
  for (let i = 0; i < 3; i++) subscription.offer(i)
  await subscription.next()
  await subscription.next()
  assert.equal(spaces(), 2)
  assert.equal(subscription.size, 1)
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
  assert.equal(subscription.size, 0)
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
  assert.equal(subscription.size, 0)
  assert.equal(ended.length, 1)
  assert.ok(spaces() >= 2)
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
