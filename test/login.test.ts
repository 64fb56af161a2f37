import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer as createNetServer } from 'node:net'
import type { Socket } from 'node:net'
import { once } from 'node:events'
import { ChatError } from '@chat/client'
import { createServer } from '@chat/server'
import { connect, Harness, rejectsWithCode, within } from '@chat/testing'

test('connect logs in and reports the server limits', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ maxTextBytes: 1000, maxFrameBytes: 4096, heartbeatIntervalMs: 5_000, heartbeatTimeoutMs: 20_000 }))
  const alice = await h.client(url, 'Alice')
  assert.equal(alice.username, 'Alice')
  assert.equal(alice.isClosed, false)
  assert.deepEqual(alice.server, { version: 1, heartbeatIntervalMs: 5_000, heartbeatTimeoutMs: 20_000, maxFrameBytes: 4096, maxTextBytes: 1000 })
})

test('a name in use is refused with name_taken, whatever its case', async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer())
  await h.client(url, 'alice')
  await rejectsWithCode(connect(url, { username: 'alice' }), 'name_taken', 'a second alice')
  await rejectsWithCode(connect(url, { username: 'ALICE' }), 'name_taken', 'ALICE while alice is logged in')
  await rejectsWithCode(connect(url, { username: 'aLiCe' }), 'name_taken', 'aLiCe while alice is logged in')
  // The refused attempts left nothing behind, and the first alice is unharmed.
  assert.equal(server.stats().users, 1)
  const bob = await h.client(url, 'bob')
  assert.equal(bob.username, 'bob')
})

test('a name is free again as soon as its holder has closed', async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer())
  for (let i = 0; i < 5; i++) {
    const carol = await connect(url, { username: 'carol' })
    await carol.close()
  }
  const again = await h.client(url, 'CAROL')
  assert.equal(again.username, 'CAROL')
  assert.equal(server.stats().users, 1)
})

test('bad usernames are refused with invalid_name', async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer())
  for (const username of ['', 'has space', '-dash', '.dot', 'x'.repeat(33), 'émile', 'a/b', 'new\nline']) {
    await rejectsWithCode(connect(url, { username }), 'invalid_name', `username ${JSON.stringify(username)}`)
  }
  assert.equal(server.stats().users, 0)
  // The longest and oddest valid names are fine.
  await h.client(url, 'x'.repeat(32))
  await h.client(url, '_a.b-c_9')
})

test('connecting to a port nobody listens on rejects with connect_failed', async () => {
  // Take a free port, then free it again.
  const probe = createNetServer()
  probe.listen(0, '127.0.0.1')
  await within(once(probe, 'listening'), 'a probe server to listen')
  const { port } = probe.address() as { port: number }
  await new Promise<void>(resolve => { probe.close(() => { resolve() }) })
  await rejectsWithCode(connect(`tcp://127.0.0.1:${port}`, { username: 'alice' }), 'connect_failed', 'connecting to a closed port')
})

test('an address with no transport (not a URL, or http://) rejects with connect_failed', async () => {
  await rejectsWithCode(connect('not a url', { username: 'alice' }), 'connect_failed', 'a malformed address')
  await rejectsWithCode(connect('http://127.0.0.1:1', { username: 'alice' }), 'connect_failed', 'an http:// address')
})

test('connect with an already aborted signal rejects with aborted', async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer())
  await rejectsWithCode(connect(url, { username: 'alice', signal: AbortSignal.abort() }), 'aborted', 'connect with an aborted signal')
  // Nobody was logged in, and the name is still free.
  assert.equal(server.stats().users, 0)
  await h.client(url, 'alice')
})

test('aborting connect while the server has not answered rejects with aborted and closes the socket', async t => {
  // A server that accepts and then says nothing, so connect() waits for its welcome.
  const sockets: Socket[] = []
  const silent = createNetServer(socket => { sockets.push(socket); socket.on('error', () => {}) })
  silent.listen(0, '127.0.0.1')
  await within(once(silent, 'listening'), 'the silent server to listen')
  t.after(async () => {
    for (const socket of sockets) socket.destroy()
    await new Promise<void>(resolve => { silent.close(() => { resolve() }) })
  })
  const { port } = silent.address() as { port: number }
  const controller = new AbortController()
  const connecting = connect(`tcp://127.0.0.1:${port}`, { username: 'alice', signal: controller.signal })
  const [accepted] = await within(once(silent, 'connection') as Promise<[Socket]>, 'the silent server to accept')
  const acceptedClosed = once(accepted, 'close')
  controller.abort()
  const err = await rejectsWithCode(connecting, 'aborted', 'connect aborted during login')
  assert.ok(err instanceof ChatError)
  await within(acceptedClosed, 'the aborted connection to close on the server side')
})

test('username, registered and server are read-only', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  const writable = alice as unknown as Record<string, unknown>
  assert.throws(() => { writable.username = 'mallory' }, TypeError)
  assert.throws(() => { writable.registered = true }, TypeError)
  assert.throws(() => { writable.server = undefined }, TypeError)
  assert.throws(() => { (alice.server as unknown as Record<string, unknown>).maxTextBytes = 1 }, TypeError)
  assert.equal(alice.username, 'alice')
  assert.equal(alice.registered, false)
  assert.equal(typeof alice.server?.maxTextBytes, 'number')
})
