import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { PROTOCOL_VERSION } from '@chat/protocol'
import type { JoinedMessage, MarkerMessage, ReadEvent, ServerMessage, WelcomeMessage } from '@chat/protocol'
import { Harness, sleep } from '@chat/testing'
import type { RawClient } from '@chat/testing'
import { createServer } from '../src/index.js'
import type { ServerOptions } from '../src/index.js'
import { deferredServer } from './deferred-store.fixture.js'

const PASSWORD = 'correct horse battery staple'

async function serve (h: Harness, options: ServerOptions = {}): Promise<number> {
  return (await h.serve(createServer(options), { transport: 'tcp' })).port
}

/** A registered user's connection (registered on first use, logged in with the password after). */
async function member (h: Harness, port: number, username: string, extra: { register?: boolean, resume?: string } = {}): Promise<{ client: RawClient, welcome: WelcomeMessage }> {
  const client = await h.raw(port, username)
  const welcome = await client.request({ type: 'hello', v: PROTOCOL_VERSION, username, password: PASSWORD, ...extra })
  assert.equal(welcome.type, 'welcome', `${username}: ${JSON.stringify(welcome)}`)
  return { client, welcome: welcome as WelcomeMessage }
}

async function registered (h: Harness, port: number, username: string): Promise<RawClient> {
  return (await member(h, port, username, { register: true })).client
}

async function joined (client: RawClient, room: string): Promise<JoinedMessage> {
  const reply = await client.request({ type: 'join', room })
  assert.equal(reply.type, 'joined', JSON.stringify(reply))
  return reply as JoinedMessage
}

/** The marker fields of a reply (`marker`), or the error code. */
function markerOf (reply: ServerMessage): Pick<MarkerMessage, 'read' | 'unread' | 'lastId'> | string {
  if (reply.type === 'error') return reply.code
  assert.equal(reply.type, 'marker', JSON.stringify(reply))
  const { read, unread, lastId } = reply as MarkerMessage
  return { read, unread, lastId }
}

async function read (client: RawClient, where: { room: string } | { with: string }, id: number): Promise<ReturnType<typeof markerOf>> {
  return markerOf(await client.request({ type: 'read', ...where, id }))
}

async function unread (client: RawClient, where: { room: string } | { with: string }): Promise<ReturnType<typeof markerOf>> {
  return markerOf(await client.request({ type: 'unread', ...where }))
}

/** Sends `count` messages to a room, pipelined, and waits for every ack. */
async function sendMany (client: RawClient, room: string, count: number): Promise<void> {
  const reqs: number[] = []
  for (let i = 0; i < count; i++) {
    const req = client.req()
    reqs.push(req)
    client.send({ type: 'send', req, room, text: `${client.name} ${i}` })
  }
  for (const req of reqs) await client.nextOfType('ack', m => m.re === req)
}

describe('read markers', () => {
  it('never move backwards nor past the newest id; unread is exact with concurrent senders', async t => {
    const h = new Harness(t)
    const port = await serve(h)
    const alice = await registered(h, port, 'alice')
    assert.deepEqual(await joined(alice, 'general'), { type: 'joined', re: alice.req() - 1, room: 'general', members: ['alice'], lastId: 0, read: 0, unread: 0 })
    const senders = [await h.user(port, 's1'), await h.user(port, 's2'), await h.user(port, 's3')]
    for (const sender of senders) await sender.join('general')
    await Promise.all(senders.map(async sender => { await sendMany(sender, 'general', 40) }))
    assert.deepEqual(await unread(alice, { room: 'general' }), { read: 0, unread: 120, lastId: 120 })
    assert.deepEqual(await read(alice, { room: 'general' }, 77), { read: 77, unread: 43, lastId: 120 })
    assert.deepEqual(await read(alice, { room: 'general' }, 50), { read: 77, unread: 43, lastId: 120 }, 'never backwards')
    assert.deepEqual(await read(alice, { room: 'general' }, 10_000), { read: 120, unread: 0, lastId: 120 }, 'clamped to the newest id')
    await sendMany(senders[0], 'general', 5)
    const reply = await alice.request({ type: 'unread', room: 'general' })
    assert.deepEqual(reply, { type: 'marker', re: alice.req() - 1, room: 'general', read: 120, unread: 5, lastId: 125 })
    // A rejoin (already a member) says the same.
    const again = await joined(alice, 'general')
    assert.deepEqual([again.read, again.unread, again.lastId], [120, 5, 125])
  })

  it('conversations: by name, as direct messages are kept; a name nobody has is an empty conversation', async t => {
    const h = new Harness(t)
    const port = await serve(h)
    const alice = await registered(h, port, 'alice')
    const bob = await registered(h, port, 'Bob')
    for (let i = 0; i < 3; i++) assert.equal((await bob.request({ type: 'dm', to: 'alice', text: `hi ${i}` })).type, 'ack')
    assert.deepEqual(await unread(alice, { with: 'BOB' }), { read: 0, unread: 3, lastId: 3 })
    const reply = await alice.request({ type: 'read', with: 'bob', id: 2 })
    assert.deepEqual(reply, { type: 'marker', re: alice.req() - 1, with: 'bob', read: 2, unread: 1, lastId: 3 })
    assert.deepEqual(await unread(bob, { with: 'alice' }), { read: 0, unread: 3, lastId: 3 }, 'bob has his own marker (his own messages count)')
    await bob.close()
    assert.deepEqual(await unread(alice, { with: 'bob' }), { read: 2, unread: 1, lastId: 3 }, 'bob offline: his account names the conversation')
    assert.deepEqual(await read(alice, { with: 'nobody' }, 5), { read: 0, unread: 0, lastId: 0 })
    // A guest online: the conversation with that guest's session.
    const guest = await h.user(port, 'guest')
    assert.equal((await guest.request({ type: 'dm', to: 'alice', text: 'psst' })).type, 'ack')
    assert.deepEqual(await read(alice, { with: 'guest' }, 1), { read: 1, unread: 0, lastId: 1 })
  })

  it('refusals: guests (registration_required), rooms not joined, both or neither target, bad names', async t => {
    const h = new Harness(t)
    const port = await serve(h)
    const guest = await h.user(port, 'guest')
    assert.equal(await read(guest, { room: 'general' }, 1), 'registration_required')
    assert.equal(await unread(guest, { with: 'alice' }), 'registration_required')
    const joinedAsGuest = await joined(guest, 'general')
    assert.equal('read' in joinedAsGuest || 'unread' in joinedAsGuest, false, 'a guest\'s joined carries no marker')
    const alice = await registered(h, port, 'alice')
    assert.equal(await read(alice, { room: 'general' }, 1), 'not_member')
    assert.equal(markerOf(await alice.request({ type: 'unread', room: 'general', with: 'bob' })), 'invalid_message')
    assert.equal(markerOf(await alice.request({ type: 'unread' })), 'invalid_message')
    assert.equal(await unread(alice, { room: 'Bad Room' }), 'invalid_name')
    assert.equal(await unread(alice, { with: 'bad name' }), 'invalid_name')
  })

  it('read and unread count against the request rate, as history does', async t => {
    const h = new Harness(t)
    const port = await serve(h, { rateLimits: { requestsPerSecond: 1, requestBurst: 2 } })
    const alice = await registered(h, port, 'alice')
    await alice.join('general')
    const codes = []
    for (let i = 0; i < 4; i++) {
      const reply = await alice.request({ type: i % 2 === 0 ? 'unread' : 'read', room: 'general', ...(i % 2 === 0 ? {} : { id: 1 }) })
      codes.push(reply.type === 'error' ? reply.code : reply.type)
    }
    assert.deepEqual(codes, ['marker', 'marker', 'rate_limited', 'rate_limited'])
  })

  it('follow the user: a second connection, a resumed session and a restart of the server on SQLite agree', async t => {
    const h = new Harness(t)
    const dataDir = h.tempDir('chat-markers-')
    const first = createServer({ dataDir })
    const { port } = await h.serve(first, { transport: 'tcp' })
    const alice = await registered(h, port, 'alice')
    await alice.join('general')
    const bob = await h.user(port, 'bob')
    await bob.join('general')
    await sendMany(bob, 'general', 10)
    assert.deepEqual(await read(alice, { room: 'general' }, 6), { read: 6, unread: 4, lastId: 10 })
    await alice.close()

    // Logging in again: joined and unread agree with what the first connection marked.
    const { client: again, welcome } = await member(h, port, 'alice')
    const rejoined = await joined(again, 'general')
    assert.deepEqual([rejoined.read, rejoined.unread, rejoined.lastId], [6, 4, 10])
    assert.deepEqual(await unread(again, { room: 'general' }), { read: 6, unread: 4, lastId: 10 })
    assert.deepEqual(await read(again, { room: 'general' }, 8), { read: 8, unread: 2, lastId: 10 })

    // A resume (the old connection still open): the rooms pass over, and the markers with them.
    const { client: resumed } = await member(h, port, 'alice', { resume: welcome.session })
    await again.waitClosed()
    assert.deepEqual(await unread(resumed, { room: 'general' }), { read: 8, unread: 2, lastId: 10 }, 'a member still, with its marker')
    const afterResume = await joined(resumed, 'general')
    assert.deepEqual([afterResume.read, afterResume.unread], [8, 2])
    await first.close()

    // A restart on the same file.
    const second = createServer({ dataDir })
    const { port: port2 } = await h.serve(second, { transport: 'tcp' })
    const { client: afterRestart } = await member(h, port2, 'alice')
    const restarted = await joined(afterRestart, 'general')
    assert.deepEqual([restarted.read, restarted.unread, restarted.lastId], [8, 2, 10])
  })

  it('read receipts: in a room with receipts on, a move reaches the other members, at most once a second (the newest)', async t => {
    const h = new Harness(t)
    const port = await serve(h, { readReceipts: ['receipts'] })
    const alice = await registered(h, port, 'alice')
    const bob = await registered(h, port, 'bob')
    for (const client of [alice, bob]) {
      await client.join('receipts')
      await client.join('quiet')
    }
    await sendMany(bob, 'receipts', 5)
    await sendMany(bob, 'quiet', 5)
    await read(alice, { room: 'receipts' }, 1)
    assert.deepEqual(await bob.nextOfType('read'), { type: 'read', room: 'receipts', user: 'alice', id: 1 })
    const second = Date.now()
    await read(alice, { room: 'receipts' }, 2)
    await read(alice, { room: 'receipts' }, 4)
    await read(alice, { room: 'receipts' }, 3) // no move: no receipt
    assert.deepEqual(await bob.nextOfType('read'), { type: 'read', room: 'receipts', user: 'alice', id: 4 }, 'the newest, once the second is over')
    assert.ok(Date.now() - second >= 500, 'held back to the end of the second')
    await read(alice, { room: 'quiet' }, 5)
    await sleep(1_100)
    await Promise.all([alice.sync(), bob.sync()])
    const receipts = (client: RawClient): ReadEvent[] => client.received.filter((m): m is ReadEvent => m.type === 'read')
    assert.deepEqual(receipts(bob).map(r => `${r.room ?? ''} ${r.id}`), ['receipts 1', 'receipts 4'], 'no receipts from a room without them')
    assert.deepEqual(receipts(alice), [], 'the reader is not told')
  })

  it('on a store that answers later (promises, as Redis does): the same replies, joined included', async t => {
    const h = new Harness(t)
    const { server, store } = deferredServer()
    const { port } = await h.serve(server, { transport: 'tcp' })
    const alice = await registered(h, port, 'alice')
    const bob = await registered(h, port, 'bob')
    await joined(bob, 'general')
    const before = store.deferred
    assert.deepEqual(await joined(alice, 'general'), { type: 'joined', re: alice.req() - 1, room: 'general', members: ['bob', 'alice'], lastId: 0, read: 0, unread: 0 })
    await sendMany(bob, 'general', 4)
    assert.deepEqual(await read(alice, { room: 'general' }, 3), { read: 3, unread: 1, lastId: 4 })
    assert.deepEqual(await unread(alice, { room: 'general' }), { read: 3, unread: 1, lastId: 4 })
    assert.equal((await bob.request({ type: 'dm', to: 'alice', text: 'hi' })).type, 'ack')
    assert.deepEqual(await read(alice, { with: 'bob' }, 1), { read: 1, unread: 0, lastId: 1 })
    const again = await joined(alice, 'general')
    assert.deepEqual([again.read, again.unread, again.lastId], [3, 1, 4])
    assert.ok(store.deferred > before, 'the answers came as promises')
    // A failing read refuses the join (storage_error), and leaves no half-made join.
    store.failing.add('readMarker')
    const refused = await alice.request({ type: 'join', room: 'other' })
    assert.equal(refused.type === 'error' && refused.code, 'storage_error')
    store.failing.delete('readMarker')
    assert.deepEqual(markerOf(await alice.request({ type: 'unread', room: 'other' })), 'not_member')
  })

  it('readMarkers: false: read and unread are unknown types and joined carries no marker', async t => {
    const h = new Harness(t)
    const port = await serve(h, { readMarkers: false })
    const alice = await registered(h, port, 'alice')
    const reply = await joined(alice, 'general')
    assert.equal('read' in reply || 'unread' in reply, false)
    for (const type of ['read', 'unread'] as const) {
      const refused = await alice.request(type === 'read' ? { type, room: 'general', id: 1 } : { type, room: 'general' })
      assert.deepEqual(refused, { type: 'error', re: alice.req() - 1, code: 'unknown_type', message: `unknown message type "${type}"` })
    }
  })
})
