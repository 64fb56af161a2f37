import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame, PROTOCOL_VERSION } from '@chat/protocol'
import type { ClientMessage, ServerMessage } from '@chat/protocol'
import { Harness } from '@chat/testing'
import type { RawClient } from '@chat/testing'
import { createServer } from '../src/index.js'
import type { ChatServer } from '../src/index.js'

const PASSWORD = 'correct horse battery staple'

/** Several messages framed back to back, to be sent in one write (one chunk on the server's side). */
function oneWrite (messages: ClientMessage[]): Uint8Array {
  return Buffer.concat(messages.map(m => encodeFrame(m)))
}

/** The replies (messages with `re`, errors included) received so far, as [type, re] in arrival order. */
function replies (client: RawClient): Array<[string, number | undefined]> {
  return client.received
    .filter(m => 're' in m && m.re !== undefined)
    .map(m => [m.type, (m as { re?: number }).re])
}

/** A new connection as alice whose registering hello (req 1) has `then` pipelined behind it, all in one write. */
function registeringAlice (h: Harness, server: ChatServer, then: ClientMessage[]): RawClient {
  const client = h.connect(server, 'alice')
  client.sendRaw(oneWrite([{ type: 'hello', v: PROTOCOL_VERSION, req: 1, username: 'alice', password: PASSWORD, register: true }, ...then]))
  return client
}

async function registerAndLeave (h: Harness, server: ChatServer, username: string): Promise<void> {
  const client = h.connect(server, `${username} registering`)
  const welcome = await client.request({ type: 'hello', v: PROTOCOL_VERSION, username, password: PASSWORD, register: true })
  assert.equal(welcome.type, 'welcome', `registering ${username}: ${JSON.stringify(welcome)}`)
  await client.close()
}

describe('accounts over the raw protocol', () => {
  it('hello with register and a password is welcomed with registered: true; a guest with registered: false', async t => {
    const h = new Harness(t)
    const server = createServer()
    const alice = h.connect(server, 'alice')
    const welcome = await alice.request({ type: 'hello', v: PROTOCOL_VERSION, username: 'Alice', password: PASSWORD, register: true })
    assert.equal(welcome.type, 'welcome')
    assert.equal(welcome.type === 'welcome' && welcome.registered, true)
    assert.equal(welcome.type === 'welcome' && welcome.username, 'Alice')

    const guest = h.connect(server, 'guest')
    const guestWelcome = await guest.login('guest')
    assert.equal(guestWelcome.registered, false)

    await alice.close()
    const again = h.connect(server, 'alice again')
    const back = await again.request({ type: 'hello', v: PROTOCOL_VERSION, username: 'alice', password: PASSWORD })
    assert.equal(back.type, 'welcome')
    assert.equal(back.type === 'welcome' && back.registered, true)
    assert.equal(back.type === 'welcome' && back.username, 'Alice', 'the name as registered')
  })

  it('refusals are not fatal: after auth_failed or name_taken the connection can say hello again', async t => {
    const h = new Harness(t)
    const server = createServer()
    await registerAndLeave(h, server, 'alice')
    const client = h.connect(server)
    const wrong = await client.request({ type: 'hello', v: PROTOCOL_VERSION, username: 'alice', password: 'wrong password' })
    assert.equal(wrong.type, 'error')
    assert.equal(wrong.type === 'error' && wrong.code, 'auth_failed')
    assert.notEqual(wrong.type === 'error' && wrong.fatal, true)
    const taken = await client.request({ type: 'hello', v: PROTOCOL_VERSION, username: 'alice', password: PASSWORD, register: true })
    assert.equal(taken.type === 'error' && taken.code, 'name_taken')
    const welcome = await client.request({ type: 'hello', v: PROTOCOL_VERSION, username: 'alice', password: PASSWORD })
    assert.equal(welcome.type, 'welcome')
    assert.equal(client.isClosed, false)
  })

  it('requests pipelined in one write after a hello that registers are answered in order, after the welcome', async t => {
    const h = new Harness(t)
    const server = createServer()
    const client = registeringAlice(h, server, [
      { type: 'join', req: 2, room: 'general' },
      { type: 'send', req: 3, room: 'general', text: 'first words' }
    ])
    await client.next(m => 're' in m && m.re === 3, 'the ack of the pipelined send')
    assert.deepEqual(replies(client), [['welcome', 1], ['joined', 2], ['ack', 3]])
    const welcome = client.received.find(m => m.type === 'welcome')
    assert.equal(welcome?.type === 'welcome' && welcome.registered, true)
    // Each was handled as a logged-in request: nothing refused as not_logged_in.
    assert.deepEqual(client.received.filter(m => m.type === 'error'), [])
    const msg = client.received.find(m => m.type === 'msg')
    assert.equal(msg?.type === 'msg' && msg.text, 'first words')
  })

  it('reads pipelined after a registering hello are answered after the welcome too', async t => {
    const h = new Harness(t)
    const server = createServer()
    const client = registeringAlice(h, server, [
      { type: 'join', req: 2, room: 'general' },
      { type: 'rooms', req: 3 },
      { type: 'members', req: 4, room: 'general' },
      { type: 'history', req: 5, room: 'general' }
    ])
    await client.next(m => 're' in m && m.re === 5, 'the history page')
    assert.deepEqual(replies(client), [['welcome', 1], ['joined', 2], ['room_list', 3], ['member_list', 4], ['history_page', 5]])
  })

  it('requests pipelined in one write after a hello with a password are answered in order, after the welcome', async t => {
    const h = new Harness(t)
    const server = createServer()
    await registerAndLeave(h, server, 'alice')
    const bob = await h.user(server, 'bob')
    const client = h.connect(server, 'alice')
    client.sendRaw(oneWrite([
      { type: 'hello', v: PROTOCOL_VERSION, req: 1, username: 'alice', password: PASSWORD },
      { type: 'join', req: 2, room: 'general' },
      { type: 'send', req: 3, room: 'general', text: 'hello room' },
      { type: 'dm', req: 4, to: 'bob', text: 'hello bob' }
    ]))
    await client.next(m => 're' in m && m.re === 4, 'the ack of the DM')
    assert.deepEqual(replies(client), [['welcome', 1], ['joined', 2], ['ack', 3], ['ack', 4]])
    // (Request ids 1-4 were used by hand above.)
    client.send({ type: 'history', req: 10, room: 'general' })
    const page = await client.next(m => 're' in m && m.re === 10, 'the history page')
    assert.deepEqual(page.type === 'history_page' && page.messages.map(m => m.text), ['hello room'])
    const dm = await bob.nextOfType('msg')
    assert.equal(dm.text, 'hello bob')
    assert.equal(dm.from, 'alice')
  })

  it('requests pipelined after a refused password are refused as not logged in, in order', async t => {
    const h = new Harness(t)
    const server = createServer()
    await registerAndLeave(h, server, 'alice')
    const client = h.connect(server, 'mallory')
    client.sendRaw(oneWrite([
      { type: 'hello', v: PROTOCOL_VERSION, req: 1, username: 'alice', password: 'not her password' },
      { type: 'join', req: 2, room: 'general' },
      { type: 'send', req: 3, room: 'general', text: 'as alice?' }
    ]))
    await client.next(m => 're' in m && m.re === 3, 'the refusal of the pipelined send')
    const codes = client.received.filter(m => m.type === 'error').map(m => m.type === 'error' ? [m.code, m.re] : [])
    assert.deepEqual(codes, [['auth_failed', 1], ['not_logged_in', 2], ['not_logged_in', 3]])
    assert.equal(server.stats().users, 0)
  })

  it('frames arriving in later writes while the password is checked wait for it too', async t => {
    const h = new Harness(t)
    const server = createServer()
    await registerAndLeave(h, server, 'alice')
    const client = h.connect(server, 'alice')
    client.send({ type: 'hello', v: PROTOCOL_VERSION, req: 1, username: 'alice', password: PASSWORD })
    client.send({ type: 'join', req: 2, room: 'general' })
    client.send({ type: 'send', req: 3, room: 'general', text: 'one' })
    await client.next(m => 're' in m && m.re === 3, 'the ack')
    assert.deepEqual(replies(client), [['welcome', 1], ['joined', 2], ['ack', 3]])
  })

  it('a second hello pipelined after a registering hello is refused with already_logged_in', async t => {
    const h = new Harness(t)
    const server = createServer()
    const client = registeringAlice(h, server, [{ type: 'hello', v: PROTOCOL_VERSION, req: 2, username: 'bob' }])
    const second = await client.next(m => 're' in m && m.re === 2, 'the reply to the second hello')
    assert.equal(second.type === 'error' && second.code, 'already_logged_in')
    assert.deepEqual(replies(client), [['welcome', 1], ['error', 2]])
    assert.equal(server.stats().users, 1)
  })

  it('a DM to an offline registered user is acked with stored: true and comes right after their next welcome', async t => {
    const h = new Harness(t)
    const server = createServer()
    await registerAndLeave(h, server, 'bob')
    const alice = await h.user(server, 'alice')
    const acks: ServerMessage[] = []
    for (const text of ['one', 'two']) acks.push(await alice.request({ type: 'dm', to: 'bob', text }))
    assert.deepEqual(acks.map(a => a.type === 'ack' && [a.id, a.stored]), [[1, true], [2, true]])

    const bob = h.connect(server, 'bob')
    bob.sendRaw(oneWrite([
      { type: 'hello', v: PROTOCOL_VERSION, req: 1, username: 'bob', password: PASSWORD },
      { type: 'rooms', req: 2 }
    ]))
    await bob.next(m => 're' in m && m.re === 2, 'the room list')
    assert.deepEqual(bob.received.map(m => m.type === 'msg' ? `msg ${m.text}` : m.type), ['welcome', 'msg one', 'msg two', 'room_list'])
    const stored = bob.received.filter(m => m.type === 'msg')
    assert.deepEqual(stored.map(m => m.type === 'msg' && [m.id, m.from, m.to]), [[1, 'alice', 'bob'], [2, 'alice', 'bob']])
    assert.ok(stored.every(m => m.type === 'msg' && m.replay === undefined))

    // Online now: the next DM is live, without stored.
    const live = await alice.request({ type: 'dm', to: 'bob', text: 'three' })
    assert.equal(live.type === 'ack' && live.stored, undefined)
    assert.equal((await bob.nextOfType('msg', m => m.text === 'three')).id, 3)
  })
})
