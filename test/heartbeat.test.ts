import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from '@chat/server'
import { Harness, isTls, sleep, take } from '@chat/testing'
import { tcpPassOnly } from './support/transport-pass.js'

const HEARTBEAT = { heartbeatIntervalMs: 50, heartbeatTimeoutMs: 250 }

test('an idle SDK client answers the server\'s pings and stays connected', async t => {
  const h = new Harness(t)
  const { url, port, server, transport } = await h.serve(createServer(HEARTBEAT))
  const [alice, bob] = await h.clientsIn(url, 'general', ['alice', 'bob'])
  const bobInbox = bob.messages()
  if (!isTls(transport)) {
    // A raw socket that only listens (it never answers) shows the server really is pinging (raw sockets are plain TCP).
    const raw = await h.raw(port, 'listener', { autoPong: false })
    await raw.login('listener')
    await raw.waitFor(m => m.type === 'ping', 'a ping from the server')
  }

  // Several timeouts' worth of silence from the apps: the SDK's pongs keep both connected. Time passing is
  // the point (the SDK's pongs can't be seen from here; the silent raw socket is dropped meanwhile).
  await sleep(1_500)
  assert.equal(alice.isClosed, false)
  assert.equal(bob.isClosed, false)
  assert.equal(server.stats().users, 2, 'alice and bob are still logged in; the silent raw socket is not')
  const ack = await alice.send('general', 'still here')
  const [m] = await take(bobInbox, 1, 'bob\'s message after the idle time')
  assert.deepEqual([m.id, m.text], [ack.id, 'still here'])
})

test('a silent raw client is dropped with heartbeat_timeout and its rooms hear it disconnected', tcpPassOnly('a raw TCP client'), async t => {
  const h = new Harness(t)
  const { url, port, server } = await h.serve(createServer(HEARTBEAT))
  const [alice] = await h.clientsIn(url, 'general', ['alice'])
  const events = alice.events()
  const raw = await h.raw(port, 'mute', { autoPong: false })
  await raw.login('mute')
  await raw.join('general')
  assert.equal((await take(events, 1, 'mute\'s join'))[0].user, 'mute')

  // It never answers a ping.
  const [leave] = await take(events, 1, 'mute\'s leave')
  assert.deepEqual(leave, { type: 'leave', room: 'general', user: 'mute', reason: 'disconnected' })
  await raw.waitClosed('the server to close the silent socket')
  const error = raw.received.find(m => m.type === 'error')
  assert.ok(error !== undefined && error.type === 'error', `expected an error frame before the close, got ${JSON.stringify(raw.received)}`)
  assert.equal(error.code, 'heartbeat_timeout')
  assert.equal(error.fatal, true)
  assert.ok(raw.received.some(m => m.type === 'ping'), 'it was pinged before being dropped')
  assert.deepEqual(await alice.members('general'), ['alice'])
  assert.equal(server.stats().users, 1)
  assert.equal(alice.isClosed, false)
})

test('an SDK client whose app pauses iterating keeps answering pings and stays connected', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer(HEARTBEAT))
  const [pub] = await h.clientsIn(url, 'general', ['pub'])
  const paused = await h.client(url, 'paused', { highWaterMark: 4 })
  await paused.join('general')
  const inbox = paused.messages()
  for (let i = 0; i < 20; i++) await pub.send('general', `m${i}`)
  // The app is busy with something else for several heartbeat timeouts (far below the slow-consumer bound):
  // time passing is the point.
  await sleep(1_500)
  assert.deepEqual((await take(inbox, 20, 'the paused client\'s messages')).map(m => m.text), Array.from({ length: 20 }, (_, i) => `m${i}`))
  await paused.send('general', 'back')
  assert.equal(paused.isClosed, false)
})
