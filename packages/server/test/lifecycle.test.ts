import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from 'node:net'
import { createServer } from '../src/index.js'
import { delay, RawClient, TestBed, withTimeout } from './raw-client.js'

describe('connection lifecycle', () => {
  it('answers a client bye with bye, closes, and tells its rooms it quit', async () => {
    const bed = await TestBed.start()
    try {
      const alice = await bed.user('alice')
      const bob = await bed.user('bob')
      await alice.join('general')
      await alice.join('other')
      await bob.join('general')
      await bob.join('other')

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
    } finally {
      await bed.close()
    }
  })

  it('tells the rooms of a client whose socket vanished that it disconnected', async () => {
    const bed = await TestBed.start()
    try {
      const alice = await bed.user('alice')
      const bob = await bed.user('bob')
      await alice.join('general')
      await bob.join('general')
      await alice.nextOfType('presence', m => m.event === 'join')

      bob.destroy()
      assert.deepEqual(await alice.nextOfType('presence', m => m.event === 'leave'),
        { type: 'presence', event: 'leave', room: 'general', user: 'bob', reason: 'disconnected' })
      assert.equal(bed.server.stats().users, 1)
      // The room carries on.
      const ack = await alice.request({ type: 'send', room: 'general', text: 'anyone?' })
      assert.equal(ack.type, 'ack')
    } finally {
      await bed.close()
    }
  })

  it('still answers requests sent just before the client half-closes its side', async () => {
    const bed = await TestBed.start()
    try {
      const client = await bed.client()
      client.send({ type: 'hello', v: 1, req: 1, username: 'alice' })
      client.send({ type: 'join', req: 2, room: 'general' })
      client.send({ type: 'rooms', req: 3 })
      client.socket.end()
      await client.waitClosed()
      assert.deepEqual(client.received.map(m => m.type), ['welcome', 'joined', 'room_list'])
    } finally {
      await bed.close()
    }
  })

  it('still answers every request a client sent before half-closing, however much is queued for it', async () => {
    // Big enough to outlast the kernel buffers, under maxQueuedBytes so the client is not a slow consumer.
    // closeTimeoutMs is how long the server keeps writing after the client's end: long enough for 20 MB, even on a busy machine.
    const count = 20_000
    const bed = await TestBed.start({ maxQueuedBytes: 256 * 1024 * 1024, closeTimeoutMs: 60_000 })
    try {
      const bob = await bed.user('bob')
      await bob.join('general')
      const alice = await bed.client('alice')
      // alice reads nothing until the server has seen all her requests and her end of stream.
      alice.socket.pause()
      alice.send({ type: 'hello', v: 1, req: 1, username: 'alice' })
      alice.send({ type: 'join', req: 2, room: 'general' })
      const text = 'z'.repeat(1_000)
      for (let i = 0; i < count; i++) alice.send({ type: 'send', req: 3 + i, room: 'general', text })
      alice.socket.end()
      // bob got the last message: the server has read everything alice sent; give it a moment for her FIN.
      await bob.nextOfType('msg', m => m.id === count, 30_000)
      await delay(200)
      assert.ok(bed.server.stats().maxQueuedBytes > 0, 'precondition: replies are still queued for alice')
      alice.socket.resume()
      await alice.waitClosed(30_000)
      const acks = alice.received.filter(m => m.type === 'ack').length
      const msgs = alice.received.filter(m => m.type === 'msg').length
      assert.deepEqual({ acks, msgs }, { acks: count, msgs: count })
    } finally {
      await bed.close()
    }
  })

  it('close() says bye with server_shutdown to every client, closes them and resolves', async () => {
    const server = createServer({ closeTimeoutMs: 2_000 })
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 })
    const alice = await RawClient.connect(port, 'alice')
    const bob = await RawClient.connect(port, 'bob')
    const anonymous = await RawClient.connect(port, 'anonymous')
    try {
      await alice.login('alice')
      await bob.login('bob')
      await alice.join('general')
      await bob.join('general')
      await anonymous.sync()
      assert.equal(server.stats().connections, 3)

      const closed = server.close()
      for (const client of [alice, bob, anonymous]) {
        const bye = await client.nextOfType('bye')
        assert.equal(bye.code, 'server_shutdown', client.name)
        await client.waitClosed()
      }
      await withTimeout(closed, 'server.close()')
      // close() is idempotent, and the port no longer accepts connections.
      await withTimeout(server.close(), 'second server.close()')
      await assert.rejects(new Promise((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port })
        socket.once('connect', () => { socket.destroy(); resolve(undefined) })
        socket.once('error', reject)
      }))
    } finally {
      for (const client of [alice, bob, anonymous]) client.destroy()
      await server.close()
    }
  })

  it('close() resolves only once every connection is gone from the server', async () => {
    const server = createServer({ closeTimeoutMs: 2_000 })
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 })
    const alice = await RawClient.connect(port, 'alice')
    const bob = await RawClient.connect(port, 'bob')
    try {
      await alice.login('alice')
      await bob.login('bob')
      await alice.join('general')
      await bob.join('general')
      await withTimeout(server.close(), 'server.close()')
      // "Resolves once every connection has closed": nothing of them is left to count.
      assert.deepEqual(server.stats(), { connections: 0, users: 0, maxQueuedBytes: 0 })
    } finally {
      for (const client of [alice, bob]) client.destroy()
      await server.close()
    }
  })

  it('close() cuts off clients that do not take their goodbye, and still resolves', async () => {
    const server = createServer({ closeTimeoutMs: 200 })
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 })
    // Keeps its side open after the server's FIN: the server must cut it off itself.
    const stubborn = await RawClient.connect(port, 'stubborn', { allowHalfOpen: true })
    try {
      await stubborn.login('stubborn')
      // Resolving at all shows the server cut the connection: the client never ends its side.
      await withTimeout(server.close(), 'server.close()')
      const bye = await stubborn.nextOfType('bye')
      assert.equal(bye.code, 'server_shutdown')
    } finally {
      stubborn.destroy()
      await server.close()
    }
  })
})
