import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { PROTOCOL_VERSION } from '@chat/protocol'
import type { JoinedMessage, ServerMessage, TypingEvent } from '@chat/protocol'
import { Harness, sleep, startRedis } from '@chat/testing'
import type { RawClient, RedisServer } from '@chat/testing'
import { createServer } from '../src/index.js'
import type { ChatServer, ServerOptions } from '../src/index.js'

const PASSWORD = 'correct horse battery staple'
/** Short, so a dead node's users go within a test's patience. */
const LEASE_MS = 1_500
/** The compiled CLI (dist/test/… → dist/src/bin.js). */
const SERVER_BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))

/** A cluster node in this process on loopback port 0. */
async function node (h: Harness, redis: RedisServer, nodeId: string, options: ServerOptions = {}): Promise<{ server: ChatServer, port: number }> {
  const server = createServer({ ...options, cluster: { url: redis.url, nodeId, leaseMs: LEASE_MS } })
  const { port } = await h.serve(server, { transport: 'tcp' })
  return { server, port }
}

async function inRoom (h: Harness, port: number, username: string, room: string): Promise<RawClient> {
  const client = await h.user(port, username)
  await client.join(room)
  return client
}

async function registered (h: Harness, port: number, username: string, register = false): Promise<RawClient> {
  const client = await h.raw(port, username)
  const welcome = await client.request({ type: 'hello', v: PROTOCOL_VERSION, username, password: PASSWORD, ...(register ? { register } : {}) })
  assert.equal(welcome.type, 'welcome', JSON.stringify(welcome))
  return client
}

/** Logs in as soon as the name is free: the node a user left releases it in Redis a moment after the connection closed. */
async function registeredOnceFree (h: Harness, port: number, username: string): Promise<RawClient> {
  const client = await h.raw(port, username)
  const deadline = Date.now() + 10_000
  while (true) {
    const welcome = await client.request({ type: 'hello', v: PROTOCOL_VERSION, username, password: PASSWORD })
    if (welcome.type === 'welcome') return client
    assert.ok(welcome.type === 'error' && welcome.code === 'name_taken' && Date.now() < deadline, JSON.stringify(welcome))
    await sleep(50)
  }
}

function typingSeen (client: RawClient): string[] {
  return client.received.filter((m): m is TypingEvent => m.type === 'typing').map(m => `${m.room ?? `to ${m.to ?? '?'}`} ${m.user} ${String(m.active)}`)
}

function marker (reply: ServerMessage): [number, number, number] {
  assert.equal(reply.type, 'marker', JSON.stringify(reply))
  return reply.type === 'marker' ? [reply.read, reply.unread, reply.lastId] : [-1, -1, -1]
}

test('typing crosses nodes: room members on every node but the typist; a direct typist reaches a user on another node', async t => {
  const h = new Harness(t)
  const redis = await startRedis(h, { persistence: false })
  const one = await node(h, redis, 'node1')
  const two = await node(h, redis, 'node2')
  const alice = await inRoom(h, one.port, 'alice', 'general')
  const carol = await inRoom(h, one.port, 'carol', 'general')
  const bob = await inRoom(h, two.port, 'bob', 'general')
  const dave = await h.user(two.port, 'Dave')

  assert.equal((await alice.request({ type: 'typing', room: 'general', active: true })).type, 'ok')
  for (const member of [bob, carol]) assert.deepEqual(await member.nextOfType('typing'), { type: 'typing', room: 'general', user: 'alice', active: true })
  assert.equal((await alice.request({ type: 'typing', room: 'general', active: false })).type, 'ok')
  for (const member of [bob, carol]) assert.deepEqual(await member.nextOfType('typing'), { type: 'typing', room: 'general', user: 'alice', active: false })

  assert.equal((await alice.request({ type: 'typing', to: 'dave', active: true })).type, 'ok')
  assert.deepEqual(await dave.nextOfType('typing'), { type: 'typing', to: 'Dave', user: 'alice', active: true })
  // Her dm ends it, after the message.
  await sleep(1_050)
  assert.equal((await alice.request({ type: 'dm', to: 'dave', text: 'hello' })).type, 'ack')
  const stop = await dave.nextOfType('typing', m => !m.active)
  assert.ok(dave.received.findIndex(m => m.type === 'msg' && m.text === 'hello') < dave.received.indexOf(stop), 'the dm first')

  // A message in the room ends typing there too, after the message, on both nodes.
  assert.equal((await bob.request({ type: 'typing', room: 'general', active: true })).type, 'ok')
  await alice.nextOfType('typing', m => m.user === 'bob' && m.active)
  await sleep(1_050)
  assert.equal((await bob.request({ type: 'send', room: 'general', text: 'typed' })).type, 'ack')
  for (const member of [alice, carol]) {
    const end = await member.nextOfType('typing', m => m.user === 'bob' && !m.active)
    assert.ok(member.received.findIndex(m => m.type === 'msg' && m.text === 'typed') < member.received.indexOf(end), `${member.name}: the msg first`)
  }
  await Promise.all([alice.sync(), bob.sync()])
  assert.deepEqual(typingSeen(alice), ['general bob true', 'general bob false'], 'the typist is never told of herself')
  assert.deepEqual(typingSeen(bob), ['general alice true', 'general alice false'])
})

test('read markers are shared by the nodes (Redis), and receipts cross them', async t => {
  const h = new Harness(t)
  const redis = await startRedis(h, { persistence: false })
  const one = await node(h, redis, 'node1', { readReceipts: ['general'] })
  const two = await node(h, redis, 'node2', { readReceipts: ['general'] })
  const alice = await registered(h, one.port, 'alice', true)
  const bob = await registered(h, two.port, 'bob', true)
  for (const client of [alice, bob]) await client.join('general')
  for (let i = 0; i < 5; i++) assert.equal((await bob.request({ type: 'send', room: 'general', text: `m${i}` })).type, 'ack')
  assert.deepEqual(marker(await alice.request({ type: 'read', room: 'general', id: 3 })), [3, 2, 5])
  assert.deepEqual(await bob.nextOfType('read'), { type: 'read', room: 'general', user: 'alice', id: 3 })
  assert.deepEqual(marker(await alice.request({ type: 'read', room: 'general', id: 1 })), [3, 2, 5], 'never backwards')
  // Both nodes move one marker at once: the highest wins.
  assert.deepEqual(marker(await bob.request({ type: 'read', room: 'general', id: 99 })), [5, 0, 5], 'clamped to the newest id')
  await alice.close()

  const again = await registeredOnceFree(h, two.port, 'alice')
  const joined = await again.request({ type: 'join', room: 'general' }) as JoinedMessage
  assert.deepEqual([joined.read, joined.unread, joined.lastId], [3, 2, 5], 'the marker set on node 1, read on node 2')
  assert.deepEqual(marker(await again.request({ type: 'unread', room: 'general' })), [3, 2, 5])
  for (let i = 0; i < 2; i++) assert.equal((await bob.request({ type: 'dm', to: 'alice', text: `d${i}` })).type, 'ack')
  assert.deepEqual(marker(await again.request({ type: 'read', with: 'bob', id: 1 })), [1, 1, 2])
  const guest = await h.user(one.port, 'guest')
  const refused = await guest.request({ type: 'unread', room: 'general' })
  assert.equal(refused.type === 'error' && refused.code, 'registration_required')
})

test('a typist\'s node closes: the others show them stopped (their leave)', async t => {
  const h = new Harness(t)
  const redis = await startRedis(h, { persistence: false })
  const one = await node(h, redis, 'node1')
  const two = await node(h, redis, 'node2')
  const alice = await inRoom(h, one.port, 'alice', 'general')
  const bob = await inRoom(h, two.port, 'bob', 'general')
  await alice.request({ type: 'typing', room: 'general', active: true })
  await bob.nextOfType('typing', m => m.active)
  const closedAt = Date.now()
  await one.server.close()
  const stop = await bob.nextOfType('typing', m => !m.active)
  assert.deepEqual(stop, { type: 'typing', room: 'general', user: 'alice', active: false })
  assert.ok(Date.now() - closedAt < 5_000)
  await sleep(1_000)
  await bob.sync()
  assert.deepEqual(typingSeen(bob), ['general alice true', 'general alice false'], 'told once')
})

test('a typist\'s node is killed: members elsewhere see them stop within a bound (the dead node\'s users leave; direct: ~6 s without a refresh)', async t => {
  const h = new Harness(t)
  const redis = await startRedis(h, { persistence: false })
  const two = await node(h, redis, 'node2')
  const doomed = await h.serverProcess([SERVER_BIN, '--cluster', redis.url, '--node-id', 'doomed', '--lease-ms', String(LEASE_MS), '--port', '0', '--no-http', '--auth', 'open'])
  const alice = await inRoom(h, doomed.port, 'alice', 'general')
  const bob = await inRoom(h, two.port, 'bob', 'general')
  const carol = await h.user(two.port, 'carol')
  await alice.request({ type: 'typing', room: 'general', active: true })
  await alice.request({ type: 'typing', to: 'carol', active: true })
  await bob.nextOfType('typing', m => m.active)
  await carol.nextOfType('typing', m => m.active)
  const killedAt = Date.now()
  await doomed.kill()
  const roomStop = await bob.nextOfType('typing', m => !m.active, 15_000)
  const roomAfter = Date.now() - killedAt
  assert.deepEqual(roomStop, { type: 'typing', room: 'general', user: 'alice', active: false })
  const directStop = await carol.nextOfType('typing', m => !m.active, 15_000)
  const directAfter = Date.now() - killedAt
  assert.deepEqual(directStop, { type: 'typing', to: 'carol', user: 'alice', active: false })
  assert.ok(roomAfter < 9_500, `the room's indicator ended ${roomAfter} ms after the kill`)
  assert.ok(directAfter < 9_500, `the direct one ${directAfter} ms after`)
})
