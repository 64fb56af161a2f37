import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import type { ConnectOptions, PresenceEvent } from '@chat/client'
import { createServer } from '@chat/server'
import { Harness, assertChatError, Collected, collectMessages, roundTrip, StatusLog, waitUntil, within } from '@chat/testing'
import { TcpProxy } from './support/tcp-proxy.js'
import { RECONNECT } from './support/fast-reconnect.js'
import { tcpPassOnly } from './support/transport-pass.js'


/** A server with fast heartbeats; alice reaches it through a proxy, bob directly; both in `room`. */
async function setup (t: TestContext) {
  const h = new Harness(t)
  const test = await h.serve(createServer({ authMode: 'open', heartbeatIntervalMs: 100, heartbeatTimeoutMs: 400 }))
  const proxy = await TcpProxy.for(test)
  h.defer('closing the proxy', async () => { await proxy.close() })
  const alice = await h.client(proxy.url, 'alice', RECONNECT)
  const bob = await h.client(test.url, 'bob')
  for (const c of [alice, bob]) await within(c.join('room'), `${c.username} to join`)
  await roundTrip(alice, bob)
  const aliceStatus = new StatusLog(alice, 'alice')
  return { h, ...test, proxy, alice, bob, aliceStatus }
}

test('a login the server never answers (it accepted the connection, then went silent) is given up and retried, instead of hanging the reconnect', {
  timeout: 30_000,
}, async t => {
  const { proxy, alice, aliceStatus } = await setup(t)
  proxy.mode = 'blackhole'
  proxy.freeze()
  const disconnect = await aliceStatus.next('disconnect', 'alice to notice the silence')
  assertChatError(disconnect.error, 'heartbeat_timeout', 'the disconnect')
  await waitUntil(() => proxy.pairs.length >= 2, 'a reconnect attempt to reach the black hole')
  // The attempt goes unanswered until alice gives it up (its login timeout) and gets ready for the next
  // one; then the network is back.
  await aliceStatus.until(events => events.some(e => e.type === 'reconnecting' && e.attempt >= 2), 'alice to give up the unanswered login and try again')
  proxy.mode = 'forward'
  await aliceStatus.next('reconnect', 'alice to get back in once the network is', 0, 5_000)
  assert.equal(alice.isConnected, true)
})

test('a resumed session is no news to the room: members see no leave and no join for it', { ...tcpPassOnly('a proxy that writes frames'), timeout: 30_000,
}, async t => {
  const { proxy, alice, bob, aliceStatus } = await setup(t)
  const bobEvents = new Collected<PresenceEvent>(bob.events({ types: ['join', 'leave'] }), 'bob\'s presence events')
  proxy.mode = 'refuse'
  proxy.freeze({ keepUpstreamAlive: true })
  await aliceStatus.next('disconnect', 'alice to notice the silence')
  proxy.mode = 'forward'
  await aliceStatus.next('reconnect', 'alice to reconnect')
  const zombie = proxy.pairs[0]
  await waitUntil(() => zombie.upstreamClosed, 'the server to close the connection it replaced')
  const bobInbox = collectMessages(bob, { room: 'room' }, 'bob\'s messages')
  await within(alice.send('room', 'back'), 'alice\'s send')
  await bobInbox.until(items => items.length === 1, 'alice\'s message')
  await roundTrip(bob)
  assert.deepEqual(bobEvents.items.filter(e => e.user === 'alice'), [], `bob saw: ${inspect(bobEvents.items)}`)
})

test('a direct message the server handed to a half-open connection it still thought alive reaches the user after the session resumes', { ...tcpPassOnly('a proxy that writes frames'), timeout: 30_000
}, async t => {
  const { proxy, alice, bob, aliceStatus } = await setup(t)
  const direct = collectMessages(alice, { direct: true }, 'alice\'s direct messages')
  proxy.mode = 'refuse'
  proxy.freeze({ keepUpstreamAlive: true })
  await aliceStatus.next('disconnect', 'alice to notice the silence')
  const away = await within(bob.dm('alice', 'while you were away'), 'bob\'s direct message')
  assert.equal(away.stored, undefined, 'the server thought alice online')
  proxy.mode = 'forward'
  await aliceStatus.next('reconnect', 'alice to reconnect')
  await within(bob.dm('alice', 'welcome back'), 'bob\'s next direct message')
  await direct.until(items => items.some(m => m.text === 'welcome back'), 'the direct message after the reconnect')
  assert.deepEqual(direct.items.map(m => m.text), ['while you were away', 'welcome back'])
})

test('direct messages the user had before the connection died are not delivered twice when the session resumes', { ...tcpPassOnly('a proxy that writes frames'), timeout: 30_000
}, async t => {
  const { proxy, alice, bob, aliceStatus } = await setup(t)
  const direct = collectMessages(alice, { direct: true }, 'alice\'s direct messages')
  await within(bob.dm('alice', 'before'), 'bob\'s first direct message')
  await direct.until(items => items.length === 1, 'the first direct message')
  // The server cannot know alice got it: the resumed session is sent it again.
  proxy.mode = 'refuse'
  proxy.freeze({ keepUpstreamAlive: true })
  await aliceStatus.next('disconnect', 'alice to notice the silence')
  proxy.mode = 'forward'
  await aliceStatus.next('reconnect', 'alice to reconnect')
  await within(bob.dm('alice', 'welcome back'), 'bob\'s next direct message')
  await direct.until(items => items.some(m => m.text === 'welcome back'), 'the direct message after the reconnect')
  await roundTrip(alice, bob) // anything sent again would have arrived by now
  assert.deepEqual(direct.items.map(m => m.text), ['before', 'welcome back'], 'one of each')
})
