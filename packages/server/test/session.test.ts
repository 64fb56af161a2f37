import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame, frameBytes, PROTOCOL_VERSION } from '@chat/protocol'
import { Harness, waitUntil } from '@chat/testing'
import { createServer } from '../src/index.js'

describe('login', () => {
  it('answers hello with a welcome carrying the server limits', async t => {
    const h = new Harness(t)
    const server = createServer({
      heartbeatIntervalMs: 4_000, heartbeatTimeoutMs: 9_000, maxFrameBytes: 32_768, maxTextBytes: 1_000,
      rateLimits: { messagesPerSecond: 50, bytesPerSecond: 65_536, byteBurst: 100_000, requestsPerSecond: 0 }
    })
    const alice = h.connect(server, 'alice')
    alice.send({ type: 'hello', v: PROTOCOL_VERSION, req: 7, username: 'Alice' })
    const welcome = await alice.next()
    // The session token is random: check its shape, then the rest exactly.
    assert.equal(welcome.type === 'welcome' && typeof welcome.session, 'string')
    const { session, ...rest } = welcome as { session: string }
    assert.match(session, /^[\w-]{16,}$/)
    assert.deepEqual(rest, {
      type: 'welcome',
      v: PROTOCOL_VERSION,
      re: 7,
      username: 'Alice',
      heartbeatIntervalMs: 4_000,
      heartbeatTimeoutMs: 9_000,
      maxFrameBytes: 32_768,
      maxTextBytes: 1_000,
      registered: false,
      // The rates that are on, bursts included (a burst not given is twice its rate); requests are off.
      messagesPerSecond: 50,
      messageBurst: 100,
      bytesPerSecond: 65_536,
      byteBurst: 100_000
    })
    assert.equal(server.stats().users, 1)
  })

  it('refuses an unsupported protocol version with a fatal error and closes', async t => {
    const h = new Harness(t)
    const server = createServer()
    const client = h.connect(server)
    client.send({ type: 'hello', v: PROTOCOL_VERSION + 1, req: 3, username: 'alice' })
    const error = await client.nextOfType('error')
    assert.equal(error.code, 'unsupported_version')
    assert.equal(error.fatal, true)
    assert.equal(error.re, 3)
    await client.waitClosed()
    assert.equal(server.stats().users, 0)
  })

  it('refuses a hello without a valid v (missing, a string, a fraction) as unsupported_version, fatal, with re, after answering what came before', async t => {
    const h = new Harness(t)
    const server = createServer()
    for (const [n, hello] of [
      { type: 'hello', req: 3, username: 'alice' },
      { type: 'hello', req: 3, v: '1', username: 'alice' },
      { type: 'hello', req: 3, v: 1.5 },
      { type: 'hello', req: 3, v: null, username: 'alice', password: 7 }
    ].entries()) {
      const client = h.connect(server, `client${n}`)
      // In one chunk: the ping before it is answered; nothing after it is read.
      client.sendRaw(new Uint8Array([...encodeFrame({ type: 'ping', n: 1 }), ...frameBytes(new TextEncoder().encode(JSON.stringify(hello))), ...encodeFrame({ type: 'rooms', req: 4 })]))
      assert.deepEqual(await client.next(), { type: 'pong', n: 1 })
      const error = await client.nextOfType('error')
      assert.deepEqual([error.code, error.fatal, error.re], ['unsupported_version', true, 3], JSON.stringify(hello))
      await client.waitClosed()
      assert.deepEqual(client.unread, [], 'nothing after the fatal error')
    }
    assert.equal(server.stats().users, 0)
  })

  it('a resumed session keeps its place in its rooms: members are still listed in join order', async t => {
    const h = new Harness(t)
    const server = createServer()
    const [alice] = await h.usersIn(server, ['general', 'dev'], 'alice', 'bob', 'carol')
    const welcome = alice.received.find(m => m.type === 'welcome')
    assert.ok(welcome?.type === 'welcome')
    const again = h.connect(server, 'alice again')
    const reply = await again.request({ type: 'hello', v: 1, username: 'alice', resume: welcome.session })
    assert.equal(reply.type, 'welcome')
    for (const room of ['general', 'dev']) {
      const members = await again.request({ type: 'members', room })
      assert.deepEqual(members.type === 'member_list' && members.members, ['alice', 'bob', 'carol'], room)
    }
    const dave = await h.user(server, 'dave')
    const joined = await dave.request({ type: 'join', room: 'general' })
    assert.deepEqual(joined.type === 'joined' && joined.members, ['alice', 'bob', 'carol', 'dave'])
  })

  it('refuses invalid usernames and lets the client try again', async t => {
    const h = new Harness(t)
    const client = h.connect(createServer())
    for (const username of ['', '-dash', '.dot', 'has space', 'a'.repeat(33), 'émile', 'semi;colon']) {
      const reply = await client.request({ type: 'hello', v: 1, username })
      assert.equal(reply.type, 'error', `hello as ${JSON.stringify(username)}`)
      assert.equal(reply.type === 'error' && reply.code, 'invalid_name', `hello as ${JSON.stringify(username)}`)
      assert.notEqual(reply.type === 'error' && reply.fatal, true)
    }
    const welcome = await client.login('a'.repeat(32))
    assert.equal(welcome.username, 'a'.repeat(32))
  })

  it('refuses a name in use, case-insensitively', async t => {
    const h = new Harness(t)
    const server = createServer()
    await h.user(server, 'Alice')
    const other = h.connect(server, 'other')
    const reply = await other.request({ type: 'hello', v: 1, username: 'alice' })
    assert.equal(reply.type, 'error')
    assert.equal(reply.type === 'error' && reply.code, 'name_taken')
    assert.notEqual(reply.type === 'error' && reply.fatal, true)
    // The refused connection carries on and can take another name.
    await other.login('bob')
    assert.equal(server.stats().users, 2)
  })

  it('frees a name once its connection has gone', async t => {
    const h = new Harness(t)
    const server = createServer()
    const first = await h.user(server, 'alice')
    first.send({ type: 'bye' })
    await first.waitClosed()
    // The server releases the name when it has seen the close (our side may see it first).
    await waitUntil(() => server.stats().users === 0, 'the server to see alice gone')
    const second = h.connect(server, 'second')
    const reply = await second.request({ type: 'hello', v: 1, username: 'ALICE' })
    assert.equal(reply.type, 'welcome')
  })

  it('refuses a second hello on a logged-in connection', async t => {
    const h = new Harness(t)
    const server = createServer()
    const alice = await h.user(server, 'alice')
    const reply = await alice.request({ type: 'hello', v: 1, username: 'bob' })
    assert.equal(reply.type, 'error')
    assert.equal(reply.type === 'error' && reply.code, 'already_logged_in')
    // Still alice, still connected, and bob was not taken.
    const joined = await alice.request({ type: 'join', room: 'general' })
    assert.deepEqual(joined.type === 'joined' && joined.members, ['alice'])
    const bob = h.connect(server, 'bob')
    await bob.login('bob')
  })

  it('refuses requests before hello with not_logged_in and carries on', async t => {
    const h = new Harness(t)
    const client = h.connect(createServer())
    const requests = [
      { type: 'join', room: 'general' },
      { type: 'leave', room: 'general' },
      { type: 'send', room: 'general', text: 'hi' },
      { type: 'dm', to: 'bob', text: 'hi' },
      { type: 'rooms' },
      { type: 'members', room: 'general' }
    ] as const
    for (const request of requests) {
      const reply = await client.request(request)
      assert.equal(reply.type, 'error', request.type)
      assert.equal(reply.type === 'error' && reply.code, 'not_logged_in', request.type)
      assert.notEqual(reply.type === 'error' && reply.fatal, true)
    }
    // Pings are answered before login too.
    await client.sync()
    await client.login('alice')
    const joined = await client.request({ type: 'join', room: 'general' })
    assert.equal(joined.type, 'joined')
    assert.equal(client.isClosed, false)
  })
})
