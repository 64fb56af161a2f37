import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatMessage } from '@chat/client'
import { createServer, NO_RATE_LIMITS } from '@chat/server'
import { Harness, take } from '@chat/testing'
import { publishPipelined } from './support/publish.js'

const COUNT = 10_000

/** Fails at the first message out of place, with a short message (not a 10,000-element diff). */
function assertSequence (got: ChatMessage[], expectedTexts: readonly string[], who: string): void {
  assert.equal(got.length, expectedTexts.length, `${who}: message count`)
  for (let i = 0; i < got.length; i++) {
    if (got[i].id !== i + 1 || got[i].text !== expectedTexts[i] || got[i].room !== 'general') {
      assert.fail(`${who}: message ${i} is ${JSON.stringify(got[i])}, expected id ${i + 1} text ${expectedTexts[i]}`)
    }
  }
}

test(`one publisher, ${COUNT} pipelined messages: every member gets all of them, in order, once`, { timeout: 120_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ rateLimits: NO_RATE_LIMITS }))
  const clients = await h.clientsIn(url, 'general', ['pub', 'bob', 'carol'])
  const texts = Array.from({ length: COUNT }, (_, i) => `m${i}`)
  // Every member, the publisher included, reads concurrently with the publishing.
  const received = clients.map(c => take(c.messages({ room: 'general' }), COUNT, `${c.username}'s ${COUNT} messages`, 60_000))
  const acks = await publishPipelined(clients[0], 'general', texts, 300)
  acks.forEach((ack, i) => { if (ack.id !== i + 1) assert.fail(`ack ${i} has id ${ack.id}`) })
  const all = await Promise.all(received)
  all.forEach((got, i) => { assertSequence(got, texts, clients[i].username) })
  for (const got of all) {
    assert.ok(got.every(m => m.from === 'pub'))
    // Each member saw exactly the ack'd timestamp of each message.
    for (let i = 0; i < got.length; i += 997) assert.equal(got[i].ts, acks[i].ts)
  }
  // Nothing more is waiting: the next message after the run is the next id.
  const after = clients.map(c => take(c.messages({ room: 'general' }), 1, `${c.username}'s message after the run`))
  await clients[1].send('general', 'done')
  for (const [m] of await Promise.all(after)) assert.deepEqual([m.id, m.text, m.from], [COUNT + 1, 'done', 'bob'])
})

test('two publishers interleaving: every member sees the identical order', { timeout: 120_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ rateLimits: NO_RATE_LIMITS }))
  const clients = await h.clientsIn(url, 'general', ['p1', 'p2', 'watcher'])
  const perPublisher = 3_000
  const total = perPublisher * 2
  const received = clients.map(c => take(c.messages(), total, `${c.username}'s ${total} messages`, 60_000))
  const [acks1, acks2] = await Promise.all([
    publishPipelined(clients[0], 'general', Array.from({ length: perPublisher }, (_, i) => `p1-${i}`), 150),
    publishPipelined(clients[1], 'general', Array.from({ length: perPublisher }, (_, i) => `p2-${i}`), 150)
  ])
  const all = await Promise.all(received)
  const reference = all[0].map(m => `${m.id}/${m.from}/${m.text}`)
  for (let c = 1; c < all.length; c++) {
    const view = all[c].map(m => `${m.id}/${m.from}/${m.text}`)
    const firstDiff = view.findIndex((v, i) => v !== reference[i])
    assert.equal(firstDiff, -1, `${clients[c].username} differs from ${clients[0].username} at ${firstDiff}: ${view[firstDiff]} vs ${reference[firstDiff]}`)
  }
  // Ids are 1..total with no gaps, and each publisher's messages are in its own order.
  all[0].forEach((m, i) => { if (m.id !== i + 1) assert.fail(`message ${i} has id ${m.id}`) })
  for (const name of ['p1', 'p2']) {
    const own = all[0].filter(m => m.from === name).map(m => m.text)
    assert.deepEqual(own, Array.from({ length: perPublisher }, (_, i) => `${name}-${i}`))
  }
  // Each ack names the id the message got in the room's order.
  const idOf = new Map(all[0].map(m => [m.text, m.id]))
  acks1.forEach((ack, i) => { if (ack.id !== idOf.get(`p1-${i}`)) assert.fail(`p1 ack ${i}: ${ack.id}`) })
  acks2.forEach((ack, i) => { if (ack.id !== idOf.get(`p2-${i}`)) assert.fail(`p2 ack ${i}: ${ack.id}`) })
  // The two really did interleave (both pipelines were in flight together).
  const switches = all[0].filter((m, i) => i > 0 && m.from !== all[0][i - 1].from).length
  assert.ok(switches > 1, `expected interleaving, saw ${switches} switch(es)`)
})
