import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame, PROTOCOL_VERSION } from '@chat/protocol'
import type { ClientMessage } from '@chat/protocol'
import { Harness, RawClient, sleep, waitUntil } from '@chat/testing'
import { duplexPair } from '@chat/transport'
import { createServer, DEFAULT_LIMITS } from '../src/index.js'
import type { ChatServer } from '../src/index.js'
import { addressKey } from '../src/limits/address-key.js'

/** A raw client over an in-memory pair whose server side says it comes from `remoteAddress` (any transport may). */
function from (h: Harness, server: ChatServer, remoteAddress: string, name = remoteAddress): RawClient {
  h.own(server)
  const [serverEnd, clientEnd] = duplexPair({ allowHalfOpen: true, names: [remoteAddress, 'memory:server'] })
  const client = new RawClient(clientEnd, name)
  h.defer(`closing ${name}`, async () => { await client.close() })
  server.accept(serverEnd)
  return client
}

/** Expects the server's first and only frame to be a fatal `code`, then the close. */
async function refusedWith (client: RawClient, code: string): Promise<void> {
  const error = await client.nextOfType('error')
  assert.equal(error.code, code)
  assert.equal(error.fatal, true)
  await client.waitClosed()
  assert.deepEqual(client.received.map(m => m.type), ['error'], `${client.name} got nothing else`)
}

describe('before login', () => {
  it('a frame larger than maxLoginFrameBytes before login closes the connection with frame_too_large, from its header alone', async t => {
    const h = new Harness(t)
    const server = createServer()
    const client = h.connect(server, 'attacker')
    // The header of a 64 KiB frame, the largest a logged-in client may send: before login, refused at once.
    client.sendRaw(Uint8Array.of(0x80, 0x80, 0x04))
    const error = await client.nextOfType('error')
    assert.equal(error.code, 'frame_too_large')
    assert.equal(error.fatal, true)
    await client.waitClosed()
    assert.equal(server.stats().inboundBytes, 0)
  })

  it('the longest hello there can be (a password of 1,024 three-byte characters and a resume token) fits before login', async t => {
    const h = new Harness(t)
    const server = createServer()
    const alice = h.connect(server, 'alice')
    const password = '密'.repeat(1024)
    const hello: ClientMessage = { type: 'hello', v: PROTOCOL_VERSION, req: 1, username: 'a'.repeat(32), password, register: true, resume: 'r'.repeat(64) }
    assert.ok(encodeFrame(hello).byteLength > 3 * 1024, 'precondition: a big hello')
    alice.send(hello)
    assert.equal((await alice.next()).type, 'welcome')
    // Logged in, frames up to maxFrameBytes are read.
    await alice.join('general')
    const reply = await alice.request({ type: 'send', room: 'general', text: 'x'.repeat(16_000) })
    assert.equal(reply.type, 'ack')
  })

  it('a connection that does not log in within loginTimeoutMs is closed with login_timeout, though it keeps sending bytes', async t => {
    const h = new Harness(t)
    // Heartbeats far longer than the deadline: only the deadline can close it.
    const server = createServer({ loginTimeoutMs: 300, heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 120_000 })
    const trickler = h.connect(server, 'trickler')
    // A byte now and then, the start of a frame that never ends: bytes keep a connection alive, not logged in.
    trickler.sendRaw(Uint8Array.of(0x40))
    const trickling = setInterval(() => { trickler.sendRaw(Uint8Array.of(0x20)) }, 50)
    t.after(() => { clearInterval(trickling) })
    const error = await trickler.nextOfType('error')
    assert.equal(error.code, 'login_timeout')
    assert.equal(error.fatal, true)
    await trickler.waitClosed()
    assert.equal(server.stats().refused.loginTimeouts, 1)
  })

  it('the login deadline leaves alone a client that logged in', async t => {
    const h = new Harness(t)
    const server = createServer({ loginTimeoutMs: 200 })
    const alice = await h.user(server, 'alice')
    await sleep(600)
    assert.equal(alice.isClosed, false)
    assert.equal((await alice.request({ type: 'rooms' })).type, 'room_list')
    assert.equal(server.stats().refused.loginTimeouts, 0)
  })

  it('requests pipelined behind a hello whose password is being checked, then the end of stream, are all answered in order', async t => {
    const h = new Harness(t)
    const server = createServer()
    const owner = h.connect(server, 'owner')
    owner.send({ type: 'hello', v: PROTOCOL_VERSION, req: 1, username: 'alice', password: 'correct horse battery staple', register: true })
    assert.equal((await owner.next()).type, 'welcome')
    await owner.close()
    const client = h.connect(server, 'alice')
    // The password check takes a while (scrypt): the join, the ping, the rooms and the end arrive meanwhile.
    client.send({ type: 'hello', v: PROTOCOL_VERSION, req: 1, username: 'alice', password: 'correct horse battery staple' })
    client.send({ type: 'join', req: 2, room: 'general' })
    client.send({ type: 'rooms', req: 3 })
    client.end()
    await client.waitClosed()
    assert.deepEqual(client.received.map(m => m.type), ['welcome', 'joined', 'room_list'])
  })

  it('the default deadline is 10 s and the default frame limit before login 8 KiB', () => {
    assert.equal(DEFAULT_LIMITS.loginTimeoutMs, 10_000)
    assert.equal(DEFAULT_LIMITS.maxLoginFrameBytes, 8 * 1024)
  })
})

describe('connection caps', () => {
  it('refuses the connection past maxConnectionsPerIp from one address with too_many_connections, counts it, and serves other addresses', async t => {
    const h = new Harness(t)
    const server = createServer({ maxConnectionsPerIp: 3 })
    const mine = [0, 1, 2].map(i => from(h, server, `198.51.100.7:${4000 + i}`))
    for (const [i, client] of mine.entries()) await client.login(`u${i}`)
    const fourth = from(h, server, '198.51.100.7:4003')
    await refusedWith(fourth, 'too_many_connections')
    assert.equal(server.stats().refused.connections, 1)
    assert.equal(server.stats().connections, 3, 'the refused one does not count')
    // Another address is served.
    const other = from(h, server, '198.51.100.8:4000')
    await other.login('other')
    // One of the three goes: the address may open one again.
    mine[0].destroy()
    await waitUntil(() => server.stats().connections === 3, 'the server to see it go')
    const again = from(h, server, '198.51.100.7:4004')
    await again.login('again')
  })

  it('refuses the connection past maxConnections, whatever its address', async t => {
    const h = new Harness(t)
    const server = createServer({ maxConnections: 2 })
    await from(h, server, '192.0.2.1:1').login('a')
    await from(h, server, '192.0.2.2:1').login('b')
    await refusedWith(from(h, server, '192.0.2.3:1'), 'too_many_connections')
  })

  it('counts IPv6 addresses per /64, and IPv4 mapped into IPv6 as IPv4', async t => {
    assert.equal(addressKey('2001:db8:1:2:aaaa::1:443'), '2001:db8:1:2::/64')
    assert.equal(addressKey('[2001:db8:1:2:bbbb::7]:443'), '2001:db8:1:2::/64')
    assert.equal(addressKey('2001:db8:1:3::1:443'), '2001:db8:1:3::/64')
    assert.equal(addressKey('::ffff:192.0.2.1:80'), '192.0.2.1')
    assert.equal(addressKey('192.0.2.1:80'), '192.0.2.1')
    assert.equal(addressKey('::1:7777'), '0:0:0:0::/64')
    assert.equal(addressKey('memory:3'), 'memory')
    const h = new Harness(t)
    const server = createServer({ maxConnectionsPerIp: 2 })
    await from(h, server, '2001:db8:1:2::1:5000').login('a')
    await from(h, server, '2001:db8:1:2:ffff:ffff:ffff:ffff:5000').login('b')
    await refusedWith(from(h, server, '2001:db8:1:2::99:5000'), 'too_many_connections')
    await from(h, server, '2001:db8:1:3::1:5000').login('c')
  })

  it('by default, the 101st connection from one address over TCP is refused, and a client from another address chats meanwhile', { timeout: 60_000 }, async t => {
    const h = new Harness(t)
    const server = createServer()
    const { port } = await h.serve(server)
    const crowd: RawClient[] = []
    for (let i = 0; i < DEFAULT_LIMITS.maxConnectionsPerIp; i++) crowd.push(await RawClient.connect(port, `c${i}`))
    h.defer('closing the crowd', () => { for (const c of crowd) c.destroy() })
    await waitUntil(() => server.stats().connections === 100, 'the server to hold 100 connections')
    const extra = await h.raw(port, 'extra')
    await refusedWith(extra, 'too_many_connections')
    const bystander = await h.user(port, 'bystander', { localAddress: '127.0.0.2' })
    await bystander.join('general')
    assert.equal((await bystander.request({ type: 'send', room: 'general', text: 'hi' })).type, 'ack')
  })
})
