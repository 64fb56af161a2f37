import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultTransport } from '@chat/client'
import type { PullDuplex, PresenceEvent, Transport } from '@chat/client'
import { createServer } from '@chat/server'
import { Harness, take, within } from '@chat/testing'
import { tcpPassOnly } from './support/transport-pass.js'

const summary = (e: PresenceEvent): string => `${e.type} ${e.room} ${e.user}${e.reason === undefined ? '' : ` (${e.reason})`}`

test('events() sees joins and leaves with reason left, and quit after close()', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  await alice.join('general')
  const events = alice.events({ types: ['join', 'leave'] })

  const bob = await h.client(url, 'bob')
  await bob.join('general')
  // Joining again is not a new join.
  await bob.join('general')
  await bob.leave('general')
  const carol = await h.client(url, 'carol')
  await carol.join('general')
  await carol.close()

  const got = await take(events, 4, 'alice\'s presence events')
  assert.deepEqual(got.map(summary), [
    'join general bob', 'leave general bob (left)', 'join general carol', 'leave general carol (quit)'
  ])
  assert.equal(got[0].reason, undefined)
})

test('a joiner does not get its own join; events({ room }) filters; only rooms you are in are reported', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  await alice.join('one')
  await alice.join('two')
  const all = alice.events({ types: ['join', 'leave'] })
  const onlyTwo = alice.events({ room: 'two', types: ['join', 'leave'] })
  const bob = await h.client(url, 'bob')
  const bobEvents = bob.events()
  await bob.join('one')
  await bob.join('elsewhere') // alice is not there: she hears nothing of it
  await bob.join('two')
  await bob.close()

  assert.deepEqual((await take(all, 4, 'alice\'s events')).map(summary), [
    'join one bob', 'join two bob', 'leave one bob (quit)', 'leave two bob (quit)'
  ])
  assert.deepEqual((await take(onlyTwo, 2, 'alice\'s events in two')).map(summary), ['join two bob', 'leave two bob (quit)'])
  // bob's own events iterator ended with his clean close, having seen nothing of his own joins.
  assert.deepEqual(await within(bobEvents.next(), 'bob\'s events to end'), { value: undefined, done: true })
})

test('a raw socket that joins and then vanishes is reported as disconnected', tcpPassOnly('a raw TCP client'), async t => {
  const h = new Harness(t)
  const { url, port, server } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  await alice.join('general')
  const events = alice.events({ types: ['join', 'leave'] })

  const raw = await h.raw(port)
  await raw.login('ghost')
  await raw.join('general')
  assert.deepEqual((await take(events, 1, 'ghost\'s join')).map(summary), ['join general ghost'])
  assert.deepEqual(await alice.members('general'), ['alice', 'ghost'])

  raw.destroy()
  assert.deepEqual((await take(events, 1, 'ghost\'s leave')).map(summary), ['leave general ghost (disconnected)'])
  assert.deepEqual(await alice.members('general'), ['alice'])
  assert.equal(server.stats().users, 1)
})

test('an SDK client whose connection is cut is reported as disconnected, and its closed says connection_closed', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  await alice.join('general')
  const events = alice.events({ types: ['join', 'leave'] })

  let duplex: PullDuplex | undefined
  const capturing: Transport = async (address, options) => (duplex = await defaultTransport(address, options))
  const bob = await h.client(url, 'bob', { transport: capturing })
  await bob.join('general')
  const bobMessages = bob.messages()
  assert.deepEqual((await take(events, 1, 'bob\'s join')).map(summary), ['join general bob'])

  assert.ok(duplex !== undefined)
  duplex.destroy()
  assert.deepEqual((await take(events, 1, 'bob\'s leave')).map(summary), ['leave general bob (disconnected)'])
  const reason = await within(bob.closed, 'bob\'s closed')
  assert.equal(reason?.code, 'connection_closed')
  await assert.rejects(within(bobMessages.next(), 'bob\'s iterator'), { name: 'ChatError', code: 'connection_closed' })
  assert.equal(bob.isClosed, true)
})
