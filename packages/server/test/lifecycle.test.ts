import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { Harness, within } from '@chat/testing'
import type { RawClient } from '@chat/testing'
import { NO_RATE_LIMITS, createServer } from '../src/index.js'
import type { ChatServer, ServerOptions } from '../src/index.js'

type Over = 'memory' | 'TCP'

/** A server, and how its clients reach it: in memory, or over TCP through the server's own listener. */
async function serverOver (h: Harness, over: Over, options: ServerOptions = {}): Promise<{ server: ChatServer, target: ChatServer | number }> {
  const server = createServer(options)
  return { server, target: over === 'TCP' ? (await h.serve(server)).port : server }
}

/** An unlogged client of `target`. */
async function clientOf (h: Harness, target: ChatServer | number, name: string, options: Parameters<Harness['connect']>[2] = {}): Promise<RawClient> {
  return typeof target === 'number' ? await h.raw(target, name, options) : h.connect(target, name, options)
}

describe('connection lifecycle', () => {
  it('answers a client bye with bye, closes, and tells its rooms it quit', async t => {
    const h = new Harness(t)
    const server = createServer()
    const [alice, bob] = await h.usersIn(server, ['general', 'other'], 'alice', 'bob')

    bob.send({ type: 'bye' })
    assert.equal((await bob.nextOfType('bye')).type, 'bye')
    await bob.waitClosed()

    const leave1 = await alice.nextOfType('presence', m => m.event === 'leave')
    const leave2 = await alice.nextOfType('presence', m => m.event === 'leave')
    assert.deepEqual([leave1, leave2].sort((a, b) => a.room.localeCompare(b.room)), [
      { type: 'presence', event: 'leave', room: 'general', user: 'bob', reason: 'quit' },
      { type: 'presence', event: 'leave', room: 'other', user: 'bob', reason: 'quit' }
    ])
    const members = await alice.request({ type: 'members', room: 'general' })
    assert.deepEqual(members.type === 'member_list' && members.members, ['alice'])
  })

  it('tells the rooms of a client whose socket vanished that it disconnected', async t => {
    const h = new Harness(t)
    const server = createServer()
    const [alice, bob] = await h.usersIn(server, 'general', 'alice', 'bob')
    await alice.nextOfType('presence', m => m.event === 'join')

    bob.destroy()
    assert.deepEqual(await alice.nextOfType('presence', m => m.event === 'leave'),
      { type: 'presence', event: 'leave', room: 'general', user: 'bob', reason: 'disconnected' })
    assert.equal(server.stats().users, 1)
    // The room carries on.
    const ack = await alice.request({ type: 'send', room: 'general', text: 'anyone?' })
    assert.equal(ack.type, 'ack')
  })

  // Half-closing is about TCP's FIN; the in-memory duplex promises the same semantics, so both are tested.
  for (const over of ['TCP', 'memory'] as const) {
    const suffix = over === 'TCP' ? '' : ' (in memory)'

    it(`still answers requests sent just before the client half-closes its side${suffix}`, async t => {
      const h = new Harness(t)
      const { target } = await serverOver(h, over)
      const client = await clientOf(h, target, 'client1')
      client.send({ type: 'hello', v: 1, req: 1, username: 'alice' })
      client.send({ type: 'join', req: 2, room: 'general' })
      client.send({ type: 'rooms', req: 3 })
      client.end()
      await client.waitClosed()
      assert.deepEqual(client.received.map(m => m.type), ['welcome', 'joined', 'room_list'])
    })

    it(`still answers every request a client sent before half-closing, however much is queued for it${suffix}`, { timeout: 120_000 }, async t => {
      // Big enough to outlast the kernel buffers, under maxQueuedBytes so the client is not a slow consumer.
      // closeTimeoutMs is how long the server keeps writing after the client's end: long enough for 20 MB, even on a busy machine.
      const count = 20_000
      const h = new Harness(t)
      const server = createServer({ maxQueuedBytes: 256 * 1024 * 1024, closeTimeoutMs: 60_000, rateLimits: NO_RATE_LIMITS })
      // Over TCP through a listener of the harness (the server's settings: half-open allowed, no delay), which
      // lets the test see the server's side of alice's connection.
      const target = over === 'TCP' ? (await h.serve(server, { observed: true })).port : server
      const bob = await h.user(target, 'bob')
      await bob.join('general')
      const alice = await clientOf(h, target, 'alice')
      // alice reads nothing until the server has seen all her requests and her end of stream.
      alice.pause()
      alice.send({ type: 'hello', v: 1, req: 1, username: 'alice' })
      alice.send({ type: 'join', req: 2, room: 'general' })
      const text = 'z'.repeat(1_000)
      for (let i = 0; i < count; i++) alice.send({ type: 'send', req: 3 + i, room: 'general', text })
      alice.end()
      // bob got the last message: the server has read everything alice sent; then it sees her end.
      await bob.nextOfType('msg', m => m.id === count, 30_000)
      await within(alice.serverSide!.ended, 'the server to see alice\'s end')
      assert.ok(server.stats().maxQueuedBytes > 0, 'precondition: replies are still queued for alice')
      alice.resume()
      await alice.waitClosed('the close after every reply', 60_000)
      const acks = alice.received.filter(m => m.type === 'ack').length
      const msgs = alice.received.filter(m => m.type === 'msg').length
      assert.deepEqual({ acks, msgs }, { acks: count, msgs: count })
    })

    it(`close() cuts off clients that do not take their goodbye, and still resolves${suffix}`, async t => {
      const h = new Harness(t)
      const { server, target } = await serverOver(h, over, { closeTimeoutMs: 200 })
      // Keeps its side open after the server's end: the server must cut it off itself.
      const stubborn = await clientOf(h, target, 'stubborn', { allowHalfOpen: true })
      await stubborn.login('stubborn')
      // Resolving at all shows the server cut the connection: the client never ends its side.
      await within(server.close(), 'server.close()')
      const bye = await stubborn.nextOfType('bye')
      assert.equal(bye.code, 'server_shutdown')
    })
  }

  it('close() says bye with server_shutdown to every client, closes them and resolves', async t => {
    const h = new Harness(t)
    const server = createServer({ closeTimeoutMs: 2_000 })
    // Over TCP: the listener must stop too.
    const { port } = await h.serve(server)
    const [alice, bob] = await h.usersIn(port, 'general', 'alice', 'bob')
    const anonymous = await h.raw(port, 'anonymous')
    await anonymous.sync()
    assert.equal(server.stats().connections, 3)

    const closed = server.close()
    for (const client of [alice, bob, anonymous]) {
      const bye = await client.nextOfType('bye')
      assert.equal(bye.code, 'server_shutdown', client.name)
      await client.waitClosed()
    }
    await within(closed, 'server.close()')
    // close() is idempotent, and the port no longer accepts connections.
    await within(server.close(), 'second server.close()')
    await assert.rejects(new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port })
      socket.once('connect', () => { socket.destroy(); resolve(undefined) })
      socket.once('error', reject)
    }))
  })

  it('close({ signal }): aborting cuts the clients that are still taking their goodbye at once, and rejects once closed', async t => {
    const h = new Harness(t)
    // A long close timeout: only the abort can end this close soon.
    const server = createServer({ closeTimeoutMs: 600_000 })
    const stubborn = await h.connect(server, 'stubborn', { allowHalfOpen: true })
    await stubborn.login('stubborn')
    const controller = new AbortController()
    const closing = server.close({ signal: controller.signal })
    assert.equal((await stubborn.nextOfType('bye')).code, 'server_shutdown')
    assert.equal(server.stats().connections, 1, 'the stubborn client keeps its side open')
    controller.abort(new Error('enough waiting'))
    await assert.rejects(within(closing, 'the aborted close'), /enough waiting/)
    assert.deepEqual(server.stats(), { connections: 0, users: 0, maxQueuedBytes: 0, inboundBytes: 0, refused: { connections: 0, rateLimited: 0, loginTimeouts: 0 } })
    await stubborn.waitClosed()
    // The shutdown itself is complete: a later close resolves at once.
    await within(server.close(), 'a later close()')
  })

  it('listen({ signal }): an aborted signal refuses to listen, and nothing is left listening', async t => {
    const server = createServer()
    await assert.rejects(server.listen({ port: 0, signal: AbortSignal.abort() }), { name: 'AbortError' })
    assert.equal(server.address(), undefined)
    await within(server.close(), 'server.close()')
  })

  it('close() resolves only once every connection is gone from the server', async t => {
    const h = new Harness(t)
    const server = createServer({ closeTimeoutMs: 2_000 })
    const [alice, bob] = await h.usersIn(server, 'general', 'alice', 'bob')
    await within(server.close(), 'server.close()')
    // "Resolves once every connection has closed": nothing of them is left to count.
    assert.deepEqual(server.stats(), { connections: 0, users: 0, maxQueuedBytes: 0, inboundBytes: 0, refused: { connections: 0, rateLimited: 0, loginTimeouts: 0 } })
  })
})
