// Read markers (PROTOCOL.md §17) through the SDK on a real server: markRead never goes backwards
// and two connections of one user agree; calls merged while one is on its way; unread counts
// with others sending at once; conversations; guests refused; and a reconnect that finds the
// markers moved by another connection meanwhile.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ConnectOptions, ReadEvent } from '@chat/client'
import { createServer } from '@chat/server'
import { Collected, Harness, rejectsWithCode, roundTrip, within } from '@chat/testing'
import type { Served } from '@chat/testing'
import { WatchedTransport } from './support/watched-transport.js'

const PASSWORD = 'correct horse battery staple'
const RECONNECTING: Partial<ConnectOptions> = { reconnect: true, reconnectTimeWait: 20, maxReconnectTimeWait: 100, reconnectJitter: 10, maxReconnectAttempts: -1 }

/** A server with ann's account registered (she is logged out again). */
async function withAnn (h: Harness): Promise<Served<ReturnType<typeof createServer>>> {
  const served = await h.serve(createServer())
  const ann = await h.client(served.url, 'ann', { password: PASSWORD, register: true })
  await within(ann.close(), 'ann to log out after registering')
  return served
}

test('markRead never moves backwards nor past the newest; a second connection of the same user finds the same marker', async t => {
  const h = new Harness(t)
  const { url } = await withAnn(h)
  const [carl] = await h.clientsIn(url, 'general', ['carl'])
  for (let i = 1; i <= 5; i++) await carl.send('general', `m${i}`)

  const ann = await h.client(url, 'ann', { password: PASSWORD })
  const joined = await ann.join('general')
  assert.deepEqual([joined.read, joined.unread], [0, 5])
  assert.deepEqual(await ann.markRead('general', 3), { read: 3, unread: 2, lastId: 5 })
  assert.deepEqual(await ann.markRead('general', 2), { read: 3, unread: 2, lastId: 5 }, 'never backwards')
  assert.deepEqual(await ann.unread('general'), { read: 3, unread: 2, lastId: 5 })
  assert.deepEqual(await ann.markRead('general', 99), { read: 5, unread: 0, lastId: 5 }, 'never past the newest')
  await within(ann.close(), 'ann to log out')

  await carl.send('general', 'm6')
  await carl.send('general', 'm7')
  const again = await h.client(url, 'ann', { password: PASSWORD })
  const rejoined = await again.join('general')
  assert.deepEqual([rejoined.read, rejoined.unread], [5, 2])
  assert.deepEqual(await again.unread('general'), { read: 5, unread: 2, lastId: 7 })
  assert.deepEqual(await again.markRead('general', 4), { read: 5, unread: 2, lastId: 7 })
})

test('markRead calls made while one is on its way go as one, with the highest id', async t => {
  const h = new Harness(t)
  const { url } = await withAnn(h)
  const [carl] = await h.clientsIn(url, 'general', ['carl'])
  for (let i = 1; i <= 20; i++) await carl.send('general', `m${i}`)
  const watched = new WatchedTransport()
  const ann = await h.client(url, 'ann', { password: PASSWORD, transport: watched.transport })
  await ann.join('general')

  // A UI marking each message read as it shows them, all at once.
  const results = await within(Promise.all(Array.from({ length: 20 }, async (_, i) => await ann.markRead('general', i + 1))), 'the marks')
  assert.equal(watched.count('read'), 2, 'the first, then the other 19 as one')
  assert.deepEqual(results[0], { read: 1, unread: 19, lastId: 20 })
  for (const result of results.slice(1)) assert.deepEqual(result, { read: 20, unread: 0, lastId: 20 })
  // An abort gives up the wait, not the marker.
  const aborted = ann.markRead('general', 20, { signal: AbortSignal.abort() })
  await rejectsWithCode(aborted, 'aborted', 'an aborted markRead')
})

test('unread counts every message after the marker while others send at once; conversations have markers too', async t => {
  const h = new Harness(t)
  const { url } = await withAnn(h)
  const ann = await h.client(url, 'ann', { password: PASSWORD })
  await ann.join('general')
  const [ben, carl] = await h.clientsIn(url, 'general', ['ben', 'carl'])
  await ann.send('general', 'mine counts too')
  assert.deepEqual(await ann.unread('general'), { read: 0, unread: 1, lastId: 1 })
  await within(Promise.all([
    Promise.all(Array.from({ length: 25 }, async (_, i) => await ben.send('general', `ben ${i}`))),
    Promise.all(Array.from({ length: 25 }, async (_, i) => await carl.send('general', `carl ${i}`))),
    ann.markRead('general', 1)
  ]), 'the sends and the mark')
  assert.deepEqual(await ann.unread('general'), { read: 1, unread: 50, lastId: 51 })

  for (let i = 1; i <= 3; i++) await ben.dm('ann', `psst ${i}`)
  assert.deepEqual(await ann.unread({ with: 'ben' }), { read: 0, unread: 3, lastId: 3 })
  assert.deepEqual(await ann.markRead({ with: 'ben' }, 2), { read: 2, unread: 1, lastId: 3 })
  assert.deepEqual(await ann.unread({ with: 'carl' }), { read: 0, unread: 0, lastId: 0 }, 'no conversation yet')
})

test('a guest has no markers: markRead and unread reject with registration_required, join gives none', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const guest = await h.client(url, 'guest')
  const joined = await guest.join('general')
  assert.equal(joined.read, undefined)
  assert.equal(joined.unread, undefined)
  await guest.send('general', 'hello')
  await rejectsWithCode(guest.markRead('general', 1), 'registration_required', 'a guest\'s markRead')
  await rejectsWithCode(guest.unread('general'), 'registration_required', 'a guest\'s unread')
  await rejectsWithCode(guest.unread({ with: 'someone' }), 'registration_required', 'a guest\'s unread of a conversation')
})

test('resuming brings markers up to date: what another connection read meanwhile comes as read events, and unread agrees', async t => {
  const h = new Harness(t)
  const { url } = await withAnn(h)
  const [carl] = await h.clientsIn(url, 'general', ['carl'])
  for (let i = 1; i <= 6; i++) await carl.send('general', `m${i}`)
  for (let i = 1; i <= 4; i++) await carl.dm('ann', `psst ${i}`)

  const watched = new WatchedTransport()
  const ann = await h.client(url, 'ann', { password: PASSWORD, transport: watched.transport, ...RECONNECTING })
  await ann.join('general')
  await ann.markRead('general', 2)
  await ann.markRead({ with: 'carl' }, 1)
  const reads = new Collected<ReadEvent>(ann.events({ types: ['read'] }), 'ann\'s read events')

  // Ann's connection drops; before she is back, her other device reads on and logs out.
  const carlSees = new Collected(carl.events({ types: ['leave'] }), 'carl\'s leaves')
  watched.holdReconnects()
  watched.cut()
  await carlSees.until(items => items.some(e => e.user === 'ann'), 'the server to see ann gone')
  const other = await h.client(url, 'ann', { password: PASSWORD })
  await other.join('general')
  assert.deepEqual(await other.markRead('general', 5), { read: 5, unread: 1, lastId: 6 })
  assert.deepEqual(await other.markRead({ with: 'carl' }, 3), { read: 3, unread: 1, lastId: 4 })
  await within(other.close(), 'the other device to log out')
  watched.lets()

  await reads.until(items => items.length === 2, 'ann\'s markers to come up to date')
  const byStream = reads.items.map(e => ({ ...e })).sort((a, b) => (a.room ?? '').localeCompare(b.room ?? ''))
  assert.deepEqual(byStream, [{ type: 'read', with: 'carl', user: 'ann', id: 3 }, { type: 'read', room: 'general', user: 'ann', id: 5 }])
  assert.deepEqual(await ann.unread('general'), { read: 5, unread: 1, lastId: 6 })
  // Nothing moved on this reconnect: no event.
  watched.cut()
  await within((async () => { while (!ann.isConnected || watched.duplexes.length < 3) await new Promise(resolve => setTimeout(resolve, 10)) })(), 'ann to reconnect again')
  await ann.join('general')
  await roundTrip(ann)
  assert.equal(reads.items.length, 2)
})
