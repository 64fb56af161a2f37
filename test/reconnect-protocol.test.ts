import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame, PROTOCOL_VERSION } from '@chat/protocol'
import type { ChatMessage, ClientMessage, ServerMessage, WelcomeMessage } from '@chat/protocol'
import { createServer } from '@chat/server'
import { Harness, waitUntil, within } from '@chat/testing'
import type { RawClient } from '@chat/testing'
import { tcpPassOnly } from './support/transport-pass.js'

// Idempotency keys and session resume, frame by frame, without the SDK.

async function hello (raw: RawClient, username: string, resume?: string): Promise<ServerMessage> {
  return await raw.request(resume === undefined
    ? { type: 'hello', v: PROTOCOL_VERSION, username }
    : { type: 'hello', v: PROTOCOL_VERSION, username, resume })
}

async function login (h: Harness, port: number, username: string, resume?: string): Promise<{ raw: RawClient, welcome: WelcomeMessage }> {
  const raw = await h.raw(port)
  const reply = await hello(raw, username, resume)
  assert.equal(reply.type, 'welcome', `${username}'s hello: ${JSON.stringify(reply)}`)
  return { raw, welcome: reply as WelcomeMessage }
}

async function send (raw: RawClient, room: string, text: string, key?: string): Promise<ServerMessage> {
  return await raw.request(key === undefined ? { type: 'send', room, text } : { type: 'send', room, text, key })
}

async function ackId (raw: RawClient, room: string, text: string, key?: string): Promise<number> {
  const reply = await send(raw, room, text, key)
  assert.equal(reply.type, 'ack', `send of ${text}: ${JSON.stringify(reply)}`)
  return (reply as { id: number }).id
}

async function storedTexts (raw: RawClient, of: { room: string } | { with: string }): Promise<Array<[number, string, string]>> {
  const page = await raw.request({ type: 'history', ...of, after: 0, limit: 500 })
  assert.equal(page.type, 'history_page', JSON.stringify(page))
  return (page as { messages: ChatMessage[] }).messages.map(m => [m.id, m.from, m.text])
}

/** Messages of a room `raw` received, once a marker sent after them has come back. */
async function receivedUpTo (raw: RawClient, marker: string): Promise<string[]> {
  await raw.waitFor(m => m.type === 'msg' && m.text === marker, `the marker ${marker}`)
  return raw.received.filter((m): m is ChatMessage => m.type === 'msg').map(m => m.text)
}

test('idempotency: the same key twice (one after the other, or in one write) gets the same id, is stored and delivered once; the retry\'s text is ignored', tcpPassOnly('raw TCP clients'), async t => {
  const h = new Harness(t)
  const { port } = await h.serve(createServer({ authMode: 'open' }))
  const { raw: alice } = await login(h, port, 'alice')
  const { raw: bob } = await login(h, port, 'bob')
  await alice.join('room')
  await bob.join('room')

  const first = await ackId(alice, 'room', 'hello', 'k-1')
  assert.equal(await ackId(alice, 'room', 'hello again?', 'k-1'), first)
  // Both in one write: the second arrives while the first is still being committed.
  const batch = new Uint8Array([...encode({ type: 'send', req: 100, room: 'room', text: 'twin', key: 'k-2' }), ...encode({ type: 'send', req: 101, room: 'room', text: 'twin', key: 'k-2' })])
  alice.sendRaw(batch)
  const [a, b] = await within(Promise.all([100, 101].map(async re => await alice.waitFor(m => 're' in m && m.re === re, `the reply to ${re}`))), 'both acks')
  assert.equal(a.type, 'ack')
  assert.equal(b.type, 'ack')
  assert.equal((a as { id: number }).id, (b as { id: number }).id)
  assert.equal((a as { ts: number }).ts, (b as { ts: number }).ts)
  const marker = await ackId(alice, 'room', 'marker', 'k-3')
  assert.deepEqual(await storedTexts(bob, { room: 'room' }), [[first, 'alice', 'hello'], [(a as { id: number }).id, 'alice', 'twin'], [marker, 'alice', 'marker']])
  assert.deepEqual(await receivedUpTo(bob, 'marker'), ['hello', 'twin', 'marker'], 'bob got each once')
  assert.deepEqual(await receivedUpTo(alice, 'marker'), ['hello', 'twin', 'marker'], 'and so did alice')
})

test('idempotency: a key is the sender\'s own: other users may use the same key; the same session on another connection gets the original id, its old connection there or gone', tcpPassOnly('raw TCP clients'), async t => {
  const h = new Harness(t)
  const { port, server } = await h.serve(createServer({ authMode: 'open' }))
  const { raw: alice, welcome } = await login(h, port, 'alice')
  const { raw: bob } = await login(h, port, 'bob')
  await alice.join('room')
  await bob.join('room')
  const fromAlice = await ackId(alice, 'room', 'from alice', 'shared')
  const fromBob = await ackId(bob, 'room', 'from bob', 'shared')
  assert.notEqual(fromAlice, fromBob)

  // alice's connection goes; a new one (a reconnect, with the session's token) sends the same key again.
  alice.destroy()
  await waitUntil(() => server.stats().users === 1, 'the server to see alice gone')
  const { raw: alice2, welcome: welcome2 } = await login(h, port, 'alice', welcome.session)
  await alice2.join('room')
  assert.equal(await ackId(alice2, 'room', 'from alice (retry)', 'shared'), fromAlice)
  // And with a session resume while the previous connection is still there.
  const { raw: alice3 } = await login(h, port, 'alice', welcome2.session)
  await alice3.join('room')
  assert.equal(await ackId(alice3, 'room', 'from alice (again)', 'shared'), fromAlice)
  assert.deepEqual(await storedTexts(bob, { room: 'room' }), [[fromAlice, 'alice', 'from alice'], [fromBob, 'bob', 'from bob']])
})

test('idempotency: a later guest of the same name is someone else: the same key is a new message, not the earlier guest\'s ack', tcpPassOnly('raw TCP clients'), async t => {
  const h = new Harness(t)
  const { port, server } = await h.serve(createServer({ authMode: 'accounts' }))
  const { raw: bob } = await login(h, port, 'bob')
  await bob.join('room')
  const { raw: first, welcome } = await login(h, port, 'guest')
  await first.join('room')
  const earlier = await ackId(first, 'room', 'from the first guest', 'k-1')
  first.destroy()
  await waitUntil(() => server.stats().users === 1, 'the server to see the first guest gone')

  // The first guest's token under another name is that name's own session: its keys are not the guest's.
  const { raw: other } = await login(h, port, 'other', welcome.session)
  await other.join('room')
  assert.notEqual(await ackId(other, 'room', 'from other', 'k-1'), earlier)

  // Same name, same key, no token: another person (a client counting its keys from 1, say).
  const { raw: later } = await login(h, port, 'guest')
  await later.join('room')
  const reply = await send(later, 'room', 'from the later guest', 'k-1')
  assert.equal(reply.type, 'ack', JSON.stringify(reply))
  assert.notEqual((reply as { id: number }).id, earlier)
  await later.waitFor(m => m.type === 'msg' && m.text === 'from the later guest', 'the later guest\'s message, delivered')
  assert.deepEqual((await storedTexts(bob, { room: 'room' })).map(([, , text]) => text), ['from the first guest', 'from other', 'from the later guest'])
})

test('idempotency: a send and a dm with the same key are two messages', tcpPassOnly('raw TCP clients'), async t => {
  const h = new Harness(t)
  const { port } = await h.serve(createServer({ authMode: 'open' }))
  const { raw: alice } = await login(h, port, 'alice')
  const { raw: bob } = await login(h, port, 'bob')
  await alice.join('room')
  await bob.join('room')
  // One after the other, and both in one write (the second while the first is being written).
  const sent = await ackId(alice, 'room', 'to the room', 'same')
  const dm = await alice.request({ type: 'dm', to: 'bob', text: 'to bob', key: 'same' })
  assert.equal(dm.type, 'ack', JSON.stringify(dm))
  alice.sendRaw(new Uint8Array([
    ...encode({ type: 'dm', req: 200, to: 'bob', text: 'to bob, twin', key: 'twin' }),
    ...encode({ type: 'send', req: 201, room: 'room', text: 'to the room, twin', key: 'twin' })
  ]))
  for (const re of [200, 201]) assert.equal((await alice.waitFor(m => 're' in m && m.re === re, `the reply to ${re}`)).type, 'ack')
  assert.deepEqual((await storedTexts(bob, { room: 'room' })).map(([id, , text]) => [id, text]), [[sent, 'to the room'], [sent + 1, 'to the room, twin']])
  assert.deepEqual((await storedTexts(bob, { with: 'alice' })).map(([, , text]) => text), ['to bob', 'to bob, twin'])
})

test('idempotency of direct messages: the same key twice is one message, delivered once', tcpPassOnly('raw TCP clients'), async t => {
  const h = new Harness(t)
  const { port } = await h.serve(createServer({ authMode: 'open' }))
  const { raw: alice } = await login(h, port, 'alice')
  const { raw: bob } = await login(h, port, 'bob')
  const first = await alice.request({ type: 'dm', to: 'bob', text: 'psst', key: 'd-1' })
  const again = await alice.request({ type: 'dm', to: 'bob', text: 'psst', key: 'd-1' })
  assert.equal(first.type, 'ack')
  assert.deepEqual(again, { ...first, re: (again as { re: number }).re })
  const marker = await alice.request({ type: 'dm', to: 'bob', text: 'marker', key: 'd-2' })
  assert.equal(marker.type, 'ack')
  await bob.waitFor(m => m.type === 'msg' && m.text === 'marker', 'the marker')
  assert.deepEqual(bob.received.filter(m => m.type === 'msg').map(m => (m as ChatMessage).text), ['psst', 'marker'])
  assert.deepEqual((await storedTexts(bob, { with: 'alice' })).map(([, , text]) => text), ['psst', 'marker'])
})

test('idempotency survives a restart: after the server restarts on its data directory, a key sent before gets its original id', tcpPassOnly('raw TCP clients'), async t => {
  const h = new Harness(t)
  const dir = h.tempDir('chat-idempotency-')
  const first = await h.serve(createServer({ dataDir: dir, authMode: 'open' }))
  const { raw: alice, welcome } = await login(h, first.port, 'alice')
  await alice.join('room')
  const id = await ackId(alice, 'room', 'before the restart', 'k-restart')
  await ackId(alice, 'room', 'another', 'k-other')
  alice.destroy()
  await within(first.close(), 'the first server to stop')

  // The guest's session goes on with its token, as the SDK reconnects.
  const second = await h.serve(createServer({ dataDir: dir, authMode: 'open' }))
  const { raw: again } = await login(h, second.port, 'alice', welcome.session)
  await again.join('room')
  assert.equal(await ackId(again, 'room', 'before the restart', 'k-restart'), id)
  const next = await ackId(again, 'room', 'new', 'k-new')
  assert.deepEqual(await storedTexts(again, { room: 'room' }), [[id, 'alice', 'before the restart'], [id + 1, 'alice', 'another'], [next, 'alice', 'new']])
  assert.equal(next, id + 2)
})

test('idempotency keys are checked: empty or longer than 128 characters is invalid_message; a send without a key is stored each time', tcpPassOnly('raw TCP clients'), async t => {
  const h = new Harness(t)
  const { port } = await h.serve(createServer({ authMode: 'open' }))
  const { raw: alice } = await login(h, port, 'alice')
  await alice.join('room')
  for (const key of ['', 'k'.repeat(129)]) {
    const reply = await send(alice, 'room', 'bad key', key)
    assert.equal(reply.type, 'error')
    assert.equal((reply as { code: string }).code, 'invalid_message')
  }
  assert.equal(await ackId(alice, 'room', 'long key', 'k'.repeat(128)), 1)
  assert.equal(await ackId(alice, 'room', 'no key'), 2)
  assert.equal(await ackId(alice, 'room', 'no key'), 3)
  assert.deepEqual((await storedTexts(alice, { room: 'room' })).map(([, , text]) => text), ['long key', 'no key', 'no key'])
})

test('session resume: a hello with the first welcome\'s token replaces that connection (session_replaced, closed) instead of name_taken; a wrong token is name_taken', tcpPassOnly('raw TCP clients'), async t => {
  const h = new Harness(t)
  const { port, server } = await h.serve(createServer({ authMode: 'open' }))
  const { raw: first, welcome } = await login(h, port, 'alice')
  assert.equal(typeof welcome.session, 'string')
  assert.ok(welcome.session.length >= 16, 'a token hard to guess')
  await first.join('room')

  const intruder = await h.raw(port)
  const refused = await hello(intruder, 'alice', 'not-the-token')
  assert.equal(refused.type, 'error')
  assert.equal((refused as { code: string }).code, 'name_taken')
  const noToken = await hello(intruder, 'ALICE')
  assert.equal((noToken as { code: string }).code, 'name_taken', 'names are case-insensitive, tokens or not')
  assert.equal(first.isClosed, false, 'a wrong token changes nothing')
  await ackId(first, 'room', 'still me')

  const { raw: second, welcome: welcome2 } = await login(h, port, 'alice', welcome.session)
  assert.notEqual(welcome2.session, welcome.session, 'a new token for the new connection')
  const replaced = await first.waitFor(m => m.type === 'error' && m.code === 'session_replaced', 'session_replaced on the old connection')
  assert.equal((replaced as { fatal?: boolean }).fatal, true)
  await first.waitClosed('the old connection to be closed')
  assert.equal(server.stats().users, 1)
  await second.join('room')
  await ackId(second, 'room', 'me again')

  // The old token is spent: it can't take the name from the new connection.
  const third = await h.raw(port)
  assert.equal((await hello(third, 'alice', welcome.session) as { code: string }).code, 'name_taken')
  assert.equal(second.isClosed, false)
})

test('session resume: a token whose connection is gone is just a login; a resumed guest keeps its direct conversations, a new guest of the same name does not see them', tcpPassOnly('raw TCP clients'), async t => {
  const h = new Harness(t)
  const { port, server } = await h.serve(createServer({ authMode: 'accounts' }))
  const { raw: guest, welcome } = await login(h, port, 'guest')
  await login(h, port, 'bob') // a guest too: online, so the guest can write to him
  assert.equal((await guest.request({ type: 'dm', to: 'bob', text: 'hi bob' })).type, 'ack')
  const { raw: resumed } = await login(h, port, 'guest', welcome.session)
  await guest.waitClosed()
  assert.deepEqual((await storedTexts(resumed, { with: 'bob' })).map(([, , text]) => text), ['hi bob'])

  const token = (resumed.received.find(m => m.type === 'welcome') as WelcomeMessage).session
  resumed.destroy()
  await waitUntil(() => server.stats().users === 1, 'the server to see the guest gone')
  // A stale token: the name is free, so it is an ordinary login, as a new guest.
  const { raw: later } = await login(h, port, 'guest', token)
  assert.deepEqual(await storedTexts(later, { with: 'bob' }), [], 'a later guest of the same name is someone else')
})

test('session resume: the direct messages handed lately to the replaced connection come again on the new one, right after the welcome, in order', tcpPassOnly('raw TCP clients'), async t => {
  const h = new Harness(t)
  const { port } = await h.serve(createServer({ authMode: 'open' }))
  const { raw: first, welcome } = await login(h, port, 'alice')
  const { raw: bob } = await login(h, port, 'bob')
  for (const text of ['one', 'two']) assert.equal((await bob.request({ type: 'dm', to: 'alice', text })).type, 'ack')
  await first.waitFor(m => m.type === 'msg' && m.text === 'two', 'the direct messages on the first connection')
  const sent = first.received.filter((m): m is ChatMessage => m.type === 'msg')

  // The first connection may have been dead already: the server can't know what it delivered.
  const { raw: second } = await login(h, port, 'alice', welcome.session)
  await second.waitFor(m => m.type === 'msg' && m.text === 'two', 'the direct messages again')
  const again = second.received.filter((m): m is ChatMessage => m.type === 'msg')
  assert.deepEqual(again, sent, 'the same messages (same ids and timestamps), so a client can drop the copies')
  assert.equal(second.received[0].type, 'welcome', 'after the welcome')

  // New direct messages go out live as usual, once.
  assert.equal((await bob.request({ type: 'dm', to: 'alice', text: 'three' })).type, 'ack')
  await second.waitFor(m => m.type === 'msg' && m.text === 'three', 'a new direct message')
  assert.deepEqual(second.received.filter((m): m is ChatMessage => m.type === 'msg').map(m => m.text), ['one', 'two', 'three'])
})

for (const pipelined of [true, false]) {
  test(`session resume: room members see no leave and no join for the replaced session (the new connection joins ${pipelined ? 'in the same write as its hello' : 'after its welcome, as the SDK does'})`, tcpPassOnly('raw TCP clients'), async t => {
    const h = new Harness(t)
    const { port, server } = await h.serve(createServer({ authMode: 'open' }))
    const { raw: first, welcome } = await login(h, port, 'alice')
    await first.join('room')
    const { raw: bob } = await login(h, port, 'bob')
    await bob.join('room')
    const second = await h.raw(port)
    if (pipelined) {
      second.sendRaw(new Uint8Array([
        ...encode({ type: 'hello', req: 1001, v: PROTOCOL_VERSION, username: 'alice', resume: welcome.session }),
        ...encode({ type: 'join', req: 1002, room: 'room' })
      ]))
      const joined = await second.waitFor(m => 're' in m && m.re === 1002, 'the reply to the join')
      assert.equal(joined.type, 'joined')
    } else {
      assert.equal((await hello(second, 'alice', welcome.session)).type, 'welcome')
      // The old connection is gone on the server before the new one rejoins (a client a round trip away).
      await waitUntil(() => server.stats().connections === 2, 'the server to close the replaced connection')
      await second.join('room')
    }
    await first.waitClosed('the old connection to be closed')
    await ackId(second, 'room', 'marker')
    await bob.waitFor(m => m.type === 'msg' && m.text === 'marker', 'the marker')
    assert.deepEqual(bob.received.filter(m => m.type === 'presence'), [], 'no presence news for alice')
    const members = await bob.request({ type: 'members', room: 'room' })
    assert.deepEqual((members as { members: string[] }).members.sort(), ['alice', 'bob'])
  })
}

function encode (message: Record<string, unknown>): Uint8Array {
  return encodeFrame(message as unknown as ClientMessage)
}
