// Typing indicators (PROTOCOL.md §17) between SDK clients on a real server: starts, refreshes,
// stops and the server's expiry; a typist that vanishes; the SDK's debouncing, counted in frames;
// a client that reads only messages while others type; and a server without typing.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatClient, TypingEvent } from '@chat/client'
import { createServer } from '@chat/server'
import { Collected, collectMessages, Harness, rejectsWithCode, roundTrip, sleep, within } from '@chat/testing'
import { WatchedTransport } from './support/watched-transport.js'

const typingOf = (client: ChatClient, name: string): Collected<TypingEvent> => new Collected(client.events({ types: ['typing'] }), `${name}'s typing events`)
const summary = (e: TypingEvent): string => `${e.user} ${e.active ? 'typing' : 'stopped'} ${e.room !== undefined ? `#${e.room}` : `to ${e.to ?? '?'}`}`
const count = (events: Collected<TypingEvent>, active: boolean): number => events.items.filter(e => e.active === active).length

test('typing starts, is refreshed while calls keep coming, stops at once, and lapses on the server when calls stop', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [ann, ben] = await h.clientsIn(url, 'general', ['ann', 'ben'])
  const benSees = typingOf(ben, 'ben')

  ann.typing('general')
  await benSees.until(items => items.length === 1, 'ann\'s start')
  assert.deepEqual(benSees.items.map(summary), ['ann typing #general'])
  ann.typing('general', false)
  await benSees.until(items => items.length === 2, 'ann\'s stop')
  assert.deepEqual(benSees.items.map(summary), ['ann typing #general', 'ann stopped #general'])

  // Keystrokes every 200 ms for 7 s: the refreshes keep it standing past the 5 s a start holds.
  ann.typing('general')
  await benSees.until(items => items.length === 3, 'ann\'s second start')
  for (let i = 0; i < 35; i++) {
    ann.typing('general')
    await sleep(200)
  }
  assert.equal(count(benSees, false), 1, 'no stop while ann keeps typing (her refreshes may be announced again)')
  // Then no more keystrokes: the server ends it by itself, 5 s after the last refresh.
  const stoppedTyping = Date.now()
  await benSees.until(() => count(benSees, false) === 2, 'the server to end ann\'s typing', 15_000)
  const lapsed = Date.now() - stoppedTyping
  assert.deepEqual(benSees.items.map(summary).at(-1), 'ann stopped #general')
  // The last refresh went out up to 3 s before the keystrokes stopped: the end comes 2-5 s after them (and within a second's rate).
  assert.ok(lapsed >= 1_500 && lapsed <= 9_000, `ann's typing lapsed ${lapsed} ms after her last keystroke`)
})

test('typing to a person; a message ends it, after the message; a typist that vanishes is stopped', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const cut = new WatchedTransport()
  const ann = await h.client(url, 'ann', { transport: cut.transport })
  const ben = await h.client(url, 'ben')
  await ann.join('general')
  await ben.join('general')
  const benSees = typingOf(ben, 'ben')
  const benAll = new Collected(ben.events(), 'ben\'s events')
  const benMessages = collectMessages(ben, {}, 'ben')

  ann.typing({ to: 'ben' })
  await benSees.until(items => items.length === 1, 'ann typing to ben')
  assert.deepEqual(benSees.items.map(summary), ['ann typing to ben'])
  await ann.dm('ben', 'hi ben')
  await benSees.until(items => items.length === 2, 'the dm to end ann\'s typing')
  assert.deepEqual(benSees.items.map(summary)[1], 'ann stopped to ben')
  assert.equal(benMessages.items.length, 1, 'the message came before the stop')

  ann.typing('general')
  await benSees.until(items => items.length === 3, 'ann typing in #general')
  cut.cut()
  await benSees.until(items => items.length === 4, 'ann\'s typing to end with her connection', 10_000)
  assert.deepEqual(benSees.items.map(summary).slice(2), ['ann typing #general', 'ann stopped #general'])
  await benAll.until(items => items.some(e => e.type === 'leave' && e.user === 'ann'), 'ann\'s leave')
})

test('the SDK debounces: many keystrokes are a few frames; the next keystroke after a send starts again at once', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const watched = new WatchedTransport()
  const ann = await h.client(url, 'ann', { transport: watched.transport })
  await ann.join('general')
  const [ben] = await h.clientsIn(url, 'general', ['ben'])
  const benSees = typingOf(ben, 'ben')

  for (let i = 0; i < 80; i++) { // 80 keystrokes over about 4 s
    ann.typing('general')
    await sleep(50)
  }
  await roundTrip(ann)
  const typed = watched.count('typing')
  assert.ok(typed >= 2 && typed <= 3, `80 keystrokes in 4 s: a start and a refresh or two, not ${typed} frames`)
  ann.typing('general', false)
  ann.typing('general', false)
  await roundTrip(ann)
  assert.equal(watched.count('typing'), typed + 1, 'one stop')
  await benSees.until(items => items.at(-1)?.active === false, 'ann\'s stop')
  assert.equal(count(benSees, false), 1, 'ben saw ann typing all along (a refresh is announced again), then one stop')

  ann.typing('general')
  await ann.send('general', 'done typing')
  ann.typing('general') // a new line, right after the send: a new start, not a refresh within 3 s
  await roundTrip(ann)
  assert.equal(watched.count('typing'), typed + 3)
  // What ben sees of start, message, stop, start within a second depends on the server's rate; he ends up seeing her typing.
  await benSees.until(items => items.length >= 3 && items.at(-1)?.active === true, 'ann to be typing again after her message')
})

test('a client that reads only messages is unaffected while others type', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [ann, ben] = await h.clientsIn(url, 'general', ['ann', 'ben'])
  const carl = await h.client(url, 'carl', { highWaterMark: 4 })
  await carl.join('general')
  const carlMessages = collectMessages(carl, { room: 'general' }, 'carl')
  for (let i = 0; i < 30; i++) {
    ann.typing('general', i % 2 === 0)
    ben.typing('general', i % 3 === 0)
    await ann.send('general', `line ${i}`)
  }
  await carlMessages.until(items => items.length === 30, 'carl to get every line')
  assert.deepEqual(carlMessages.items.map(m => m.text), Array.from({ length: 30 }, (_, i) => `line ${i}`))
  assert.equal(carl.isConnected, true)
  assert.deepEqual(await within(carl.members('general'), 'carl\'s members'), ['ann', 'ben', 'carl'])
})

test('a server without typing and read markers: typing() is silent, markRead and unread reject with unknown_type, messages flow', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ typing: false, readMarkers: false }))
  const watched = new WatchedTransport()
  const ann = await h.client(url, 'ann', { transport: watched.transport })
  const joined = await ann.join('general')
  assert.equal(joined.read, undefined)
  const [ben] = await h.clientsIn(url, 'general', ['ben'])
  const benSees = typingOf(ben, 'ben')
  const benMessages = collectMessages(ben, { room: 'general' }, 'ben')

  ann.typing('general')
  await roundTrip(ann)
  assert.equal(watched.count('typing'), 1, 'one try')
  for (let i = 0; i < 5; i++) {
    await sleep(800) // past a refresh's 3 s in all
    ann.typing('general')
    ann.typing({ to: 'ben' })
  }
  ann.typing('general', false)
  await roundTrip(ann)
  assert.equal(watched.count('typing'), 1, 'nothing more once the server said unknown_type')
  await rejectsWithCode(ann.markRead('general', 1), 'unknown_type', 'markRead on a server without markers')
  await rejectsWithCode(ann.unread('general'), 'unknown_type', 'unread on a server without markers')
  await ann.send('general', 'still here')
  await benMessages.until(items => items.some(m => m.text === 'still here'), 'ann\'s message')
  assert.deepEqual(benSees.items, [])
})
