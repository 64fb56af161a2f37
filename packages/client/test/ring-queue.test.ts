import { test } from 'node:test'
import assert from 'node:assert/strict'
import { RingQueue } from '../src/ring-queue.js'

test('items come out in the order they went in, across wrapping round and growing', () => {
  const queue = new RingQueue<number>()
  const model: number[] = []
  let next = 0
  // A pseudo-random mix of pushes and shifts, keeping up to a few hundred items (several growths, many wraps).
  let seed = 7
  for (let step = 0; step < 20_000; step++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    if (seed % 5 < 3 || model.length === 0) {
      queue.push(next)
      model.push(next++)
    } else {
      assert.equal(queue.shift(), model.shift())
    }
    assert.equal(queue.length, model.length)
  }
  while (model.length > 0) assert.equal(queue.shift(), model.shift())
  assert.equal(queue.shift(), undefined)
  assert.equal(queue.length, 0)
})

test('a queue that grew large gives its slots back once empty, and works on', () => {
  const queue = new RingQueue<object>()
  for (let i = 0; i < 10_000; i++) queue.push({ i })
  const slots = (): number => (queue as unknown as { slots: unknown[] }).slots.length
  assert.ok(slots() >= 10_000)
  for (let i = 0; i < 10_000; i++) assert.deepEqual(queue.shift(), { i })
  assert.equal(slots(), 16)
  queue.push({ i: 1 })
  assert.deepEqual(queue.shift(), { i: 1 })
})

test('shifted items are not kept alive by the queue; clear empties it', () => {
  const queue = new RingQueue<object>()
  queue.push({ a: 1 })
  queue.push({ b: 2 })
  queue.shift()
  const slots = (queue as unknown as { slots: unknown[] }).slots
  assert.equal(slots.filter(s => s !== undefined).length, 1)
  queue.clear()
  assert.equal(queue.length, 0)
  assert.equal(queue.shift(), undefined)
})

test('drain takes every item in order, across the wrap, and leaves the queue empty and usable', () => {
  const queue = new RingQueue<number>()
  for (let i = 0; i < 12; i++) queue.push(i)
  for (let i = 0; i < 10; i++) queue.shift()
  for (let i = 12; i < 30; i++) queue.push(i) // wraps round, then grows past 16
  assert.deepEqual(queue.drain(), Array.from({ length: 20 }, (_, i) => 10 + i))
  assert.equal(queue.length, 0)
  assert.deepEqual(queue.drain(), [])
  queue.push(99)
  assert.equal(queue.shift(), 99)
})
