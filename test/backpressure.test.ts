import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatMessage } from '@chat/client'
import { createServer } from '@chat/server'
import { Harness, expectDone, sleep, StatusLog, take, within } from '@chat/testing'
import { publishPipelined } from './support/publish.js'

function assertInOrder (got: ChatMessage[], count: number, who: string): void {
  assert.equal(got.length, count, `${who}: message count`)
  got.forEach((m, i) => { if (m.id !== i + 1 || m.text !== `m${i}`) assert.fail(`${who}: message ${i} is id ${m.id} "${m.text}"`) })
}

const texts = (count: number): string[] => Array.from({ length: count }, (_, i) => `m${i}`)

test('with highWaterMark 8, a consumer that iterates slowly still gets every message, in order', { timeout: 120_000 }, async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer())
  const [pub] = await h.clientsIn(url, 'general', ['pub'])
  const slow = await h.client(url, 'slow', { highWaterMark: 8 })
  await slow.join('general')
  const count = 3_000
  const received: ChatMessage[] = []
  const consuming = within((async () => {
    for await (const m of slow.messages()) {
      received.push(m)
      // Slow on purpose (time passing is the point): now and then the app takes a while, as a real one does.
      if (received.length % 100 === 0) await sleep(5)
      if (received.length === count) break
    }
  })(), 'the slow consumer to get every message', 60_000)
  await publishPipelined(pub, 'general', texts(count), 200)
  await consuming
  assertInOrder(received, count, 'slow')
  assert.equal(slow.isClosed, false)
  assert.equal(server.stats().users, 2)
})

test('break out of one messages() loop ends only that iterator; another on the same client keeps receiving', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [pub] = await h.clientsIn(url, 'general', ['pub'])
  const bob = await h.client(url, 'bob', { highWaterMark: 8 })
  await bob.join('general')
  const count = 1_000
  const first = bob.messages()
  const second = bob.messages()
  const brokeAfter: ChatMessage[] = []
  const breaking = within((async () => {
    for await (const m of first) {
      brokeAfter.push(m)
      if (brokeAfter.length === 5) break
    }
  })(), 'the first loop to break')
  const keeping = take(second, count, 'the second iterator\'s messages', 60_000)
  await publishPipelined(pub, 'general', texts(count), 100)
  await breaking
  assert.deepEqual(brokeAfter.map(m => m.text), ['m0', 'm1', 'm2', 'm3', 'm4'])
  // The broken iterator is done for good, and no longer holds back reading: the other gets everything.
  await expectDone(first, 'the broken iterator')
  assertInOrder(await keeping, count, 'second')
  assert.equal(bob.isClosed, false)
})

test('returning an iterator nobody reads lets the client read on for the others', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [pub] = await h.clientsIn(url, 'general', ['pub'])
  const bob = await h.client(url, 'bob', { highWaterMark: 8 })
  await bob.join('general')
  const count = 500
  const status = new StatusLog(bob, 'bob')
  const ignored = bob.messages()
  const read = bob.messages()
  const reading = take(read, count, 'the read iterator\'s messages', 60_000)
  await publishPipelined(pub, 'general', texts(count), 100)
  // `ignored` fills up and pauses the connection (bob is far behind, but the server holds the rest); then it goes.
  await status.next('slow_consumer', 'the ignored iterator to pause the connection')
  await ignored.return?.()
  assertInOrder(await reading, count, 'read')
})

test('awaiting a call inside a messages() loop does not deadlock while messages pour in', {
  timeout: 120_000
}, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [pub] = await h.clientsIn(url, 'general', ['pub'])
  const bob = await h.client(url, 'bob', { highWaterMark: 8 })
  await bob.join('general')
  await bob.join('echo')
  const count = 2_000
  let echoed = 0
  const echoing = within((async () => {
    for await (const m of bob.messages({ room: 'general' })) {
      await bob.send('echo', `got ${m.text}`)
      if (++echoed === count) break
    }
  // 2,000 sequential round trips: a deadlock never finishes; a busy machine (or a slower transport) only takes longer.
  })(), 'bob to echo every message', 90_000)
  await publishPipelined(pub, 'general', texts(count), 200)
  await echoing.catch(err => { throw new Error(`${(err as Error).message} (echoed ${echoed} of ${count})`) })
  assert.equal(echoed, count)
})

test('status() reports slow_consumer when a full iterator makes the client stop reading, and reading resumes when the app catches up', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [pub] = await h.clientsIn(url, 'general', ['pub'])
  const slow = await h.client(url, 'slow', { highWaterMark: 4 })
  await slow.join('general')
  const status = new StatusLog(slow, 'slow')
  const inbox = slow.messages()
  await publishPipelined(pub, 'general', texts(50), 10)
  await status.next('slow_consumer', 'the client to pause reading')
  assertInOrder(await take(inbox, 50, 'the paused client\'s messages'), 50, 'slow')
  assert.equal(slow.isClosed, false)
})
