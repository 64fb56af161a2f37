import { test } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from '@chat/server'
import { Harness, rejectsWithCode, roundTrip, take, within } from '@chat/testing'
import { TcpProxy } from './support/tcp-proxy.js'

/** alice reaches the server through a proxy that the test can freeze (nothing forwarded, nothing closed); bob directly. */
async function setup (t: TestContext) {
  const h = new Harness(t)
  const test = await h.serve(createServer())
  const proxy = await TcpProxy.for(test)
  h.defer('closing the proxy', async () => { await proxy.close() })
  // A long close timeout: a close() that is not aborted would wait that long for the server's goodbye.
  const alice = await h.client(proxy.url, 'alice', { closeTimeoutMs: 60_000 })
  const bob = await h.client(test.url, 'bob')
  for (const c of [alice, bob]) await within(c.join('room'), `${c.username} to join`)
  await roundTrip(alice, bob)
  return { h, ...test, proxy, alice, bob }
}

test('close({ signal }): aborting the wait for the goodbye cuts the connection; close() rejects with aborted, the client is closed, waiting calls reject with connection_closed', async t => {
  const { proxy, alice } = await setup(t)
  proxy.freeze()
  // The network goes silent: not even alice's end of stream is read (it would close the proxy's side).
  for (const pair of proxy.open) pair.client.pause()
  const send = alice.send('room', 'never acknowledged')
  send.catch(() => {})
  const controller = new AbortController()
  const closing = alice.close({ signal: controller.signal })
  await new Promise(resolve => setTimeout(resolve, 50))
  assert.equal(alice.isClosed, false, 'still waiting for the server\'s goodbye')
  controller.abort()
  await rejectsWithCode(closing, 'aborted', 'the aborted close()')
  assert.equal(alice.isClosed, true, 'closed by the time close() rejects')
  assert.equal(await within(alice.closed, 'alice.closed'), undefined)
  await rejectsWithCode(send, 'connection_closed', 'the send that was waiting')
  await within(alice.close(), 'a later close()')
})

test('drain({ signal }): aborting the wait for acknowledgements cuts the connection and rejects with aborted', async t => {
  const { proxy, alice } = await setup(t)
  proxy.freeze()
  const send = alice.send('room', 'never acknowledged')
  send.catch(() => {})
  const controller = new AbortController()
  const draining = alice.drain({ signal: controller.signal })
  await rejectsWithCode(alice.send('room', 'late'), 'connection_closed', 'a send after drain() started')
  await new Promise(resolve => setTimeout(resolve, 50))
  assert.equal(alice.isClosed, false, 'still waiting for the ack')
  controller.abort()
  await rejectsWithCode(draining, 'aborted', 'the aborted drain()')
  assert.equal(alice.isClosed, true)
  await rejectsWithCode(send, 'connection_closed', 'the send that was waiting')
  assert.equal(await within(alice.closed, 'alice.closed'), undefined)
})

test('close() with a signal aborted already: no goodbye, the server sees a disconnect', async t => {
  const { alice, bob } = await setup(t)
  const events = bob.events({ room: 'room' })
  await rejectsWithCode(alice.close({ signal: AbortSignal.abort() }), 'aborted', 'close() with an aborted signal')
  assert.equal(alice.isClosed, true)
  const [left] = await take(events, 1, 'bob hearing alice go')
  assert.deepEqual(left, { type: 'leave', room: 'room', user: 'alice', reason: 'disconnected' })
})

test('close() and drain() with a signal that does not abort in time end as usual; a closed client ignores the signal', async t => {
  const { alice, bob } = await setup(t)
  const controller = new AbortController()
  const ack = alice.send('room', 'acknowledged')
  await within(alice.drain({ signal: controller.signal }), 'drain() to finish')
  assert.equal(typeof (await ack).id, 'number')
  controller.abort()
  await within(alice.close({ signal: controller.signal }), 'close() of a closed client')
  await within(bob.close({ signal: new AbortController().signal }), 'bob\'s close()')
  assert.equal(await bob.closed, undefined)
})
