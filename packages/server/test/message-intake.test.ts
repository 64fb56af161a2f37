import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame, ErrorCodes, FrameDecoder } from '@chat/protocol'
import type { ChatMessage, ErrorMessage, ServerMessage } from '@chat/protocol'
import type { Destination } from '../src/commit/message-intake.js'
import { conversationStream, roomStream } from '../src/store/store.js'
import { barrier, World } from './units.fixture.js'
import type { Client, WorldOptions } from './units.fixture.js'

function world (t: TestContext, options: WorldOptions = {}): World {
  const w = new World(options)
  t.after(() => { w.close() })
  return w
}

const general: Destination = { stream: roomStream('general'), room: 'general' }

let nextReq = 1

/** Sends through the intake and waits for the sender's answer (an ack or an error). */
async function send (w: World, from: Client, text: string, to: Destination = general, key?: string): Promise<ServerMessage> {
  const req = nextReq++
  w.intake.accept(from.session, req, key, text, to)
  return await from.peer.reply(req)
}

function assertTooLong (reply: ServerMessage): ErrorMessage {
  assert.equal(reply.type, 'error', JSON.stringify(reply))
  const error = reply as ErrorMessage
  assert.equal(error.code, ErrorCodes.MESSAGE_TOO_LONG)
  assert.equal(error.fatal, undefined, 'the connection carries on')
  return error
}

describe('MessageIntake', () => {
  it('refuses a text over maxTextBytes (counted in UTF-8 bytes) with message_too_long and the byte count', async t => {
    const w = world(t, { maxTextBytes: 100 })
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    const error = assertTooLong(await send(w, alice, 'é'.repeat(60))) // 60 characters, 120 bytes
    assert.match(error.message, /\b120\b/)
    assert.match(error.message, /\b100\b/)
    assertTooLong(await send(w, alice, 'x'.repeat(101)))
    w.engine.flush()
    assert.equal(w.store.appends.length, 0, 'nothing refused reaches the engine')
    // Exactly at the limit is fine.
    assert.equal((await send(w, alice, 'é'.repeat(50))).type, 'ack')
    await barrier(bob)
    assert.deepEqual(bob.peer.ofType('msg').map(m => m.text), ['é'.repeat(50)])
  })

  it('refuses a text within the limit whose JSON escaping would not fit in a frame (control characters take 6 bytes)', async t => {
    const w = world(t, { maxFrameBytes: 1024, maxTextBytes: 1024 })
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    const text = '\u0001'.repeat(200) // 200 bytes of text, 1200 of JSON
    assert.ok(Buffer.byteLength(JSON.stringify(text)) > 1024)
    assertTooLong(await send(w, alice, text))
    assertTooLong(await send(w, alice, text, { stream: conversationStream(alice.session.identity, bob.session.identity), to: 'bob', target: bob.session }))
    // Quotes and backslashes escape to 2 bytes: 500 of them are 1000 bytes of JSON, too many once framed.
    assertTooLong(await send(w, alice, '"\\'.repeat(250)))
    w.engine.flush()
    assert.equal(w.store.appends.length, 0)
    await barrier(bob)
    assert.deepEqual(bob.peer.ofType('msg'), [])
  })

  for (const [label, unit] of [['plain ASCII', 'x'], ['non-ASCII', 'é'], ['control characters', '\u0001'], ['quotes', '"']] as const) {
    it(`accepts the longest ${label} text that fits, and its frame as delivered is within maxFrameBytes with room for a replay tag or a history page`, async t => {
      const maxFrameBytes = 1024
      const w = world(t, { maxFrameBytes, maxTextBytes: 8192 })
      const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
      // The frame, not maxTextBytes, is the limit here: find the longest accepted run of `unit`.
      let fits = 0
      let refused = maxFrameBytes
      assert.equal((await send(w, alice, '')).type, 'ack')
      assertTooLong(await send(w, alice, unit.repeat(refused)))
      while (refused - fits > 1) {
        const n = (fits + refused) >>> 1
        const reply = await send(w, alice, unit.repeat(n))
        if (reply.type === 'ack') fits = n
        else {
          assertTooLong(reply)
          refused = n
        }
      }
      assert.ok(Buffer.byteLength(JSON.stringify(unit.repeat(fits))) > maxFrameBytes / 2, `only ${fits} fit: the limit is far too cautious`)

      await barrier(bob)
      const chunks = bob.peer.chunks.length
      const ack = await send(w, alice, unit.repeat(fits))
      assert.equal(ack.type, 'ack')
      await bob.peer.until(() => bob.peer.chunks.length > chunks, 'the longest message')
      // Bob's chunk is that one frame: a reader holding to maxFrameBytes takes it.
      const bodies = new FrameDecoder(maxFrameBytes).push(bob.peer.chunks[chunks])
      assert.equal(bodies.length, 1)
      const message = bob.peer.messages[bob.peer.messages.length - 1] as ChatMessage
      assert.equal(message.text, unit.repeat(fits))
      assert.equal(message.id, (ack as { id: number }).id)
      // Sent again later, it is wrapped in a bit more: that fits too, at the largest ids there are.
      const big: ChatMessage = { ...message, id: Number.MAX_SAFE_INTEGER, ts: Number.MAX_SAFE_INTEGER }
      assert.doesNotThrow(() => encodeFrame({ ...big, replay: Number.MAX_SAFE_INTEGER }, maxFrameBytes))
      assert.doesNotThrow(() => encodeFrame({ type: 'history_page', re: Number.MAX_SAFE_INTEGER, messages: [big], more: true, gone: true }, maxFrameBytes))
    })
  }

  it('hands an accepted room message to its members with its fields, and acks the sender with the same id and ts', async t => {
    const w = world(t)
    w.store.seed(roomStream('general'), 2)
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    const before = Date.now()
    const ack = await send(w, alice, 'hello, "room"')
    const message = await bob.peer.first(m => m.type === 'msg', 'the room message')
    assert.equal(ack.type, 'ack')
    const { ts } = message as ChatMessage
    assert.ok(ts >= before && ts <= Date.now(), 'stamped when accepted')
    assert.deepEqual(message, { type: 'msg', id: 3, room: 'general', from: 'alice', text: 'hello, "room"', ts })
    assert.deepEqual(ack, { type: 'ack', re: ack.re, id: 3, ts })
    assert.deepEqual(await alice.peer.first(m => m.type === 'msg', 'the sender\'s copy'), message)
  })

  it('hands a direct message to its target (not back to the sender), and keeps one for someone offline in their inbox', async t => {
    const w = world(t)
    const alice = w.login('Alice')
    const bob = w.login('Bob')
    const toBob: Destination = { stream: conversationStream(alice.session.identity, bob.session.identity), to: 'Bob', target: bob.session }
    const ack = await send(w, alice, 'psst', toBob)
    const message = await bob.peer.first(m => m.type === 'msg', 'the direct message')
    const { ts } = message as ChatMessage
    assert.deepEqual(message, { type: 'msg', id: 1, to: 'Bob', from: 'Alice', text: 'psst', ts })
    assert.deepEqual(ack, { type: 'ack', re: ack.type === 'ack' ? ack.re : -1, id: 1, ts })
    await barrier(alice)
    assert.deepEqual(alice.peer.ofType('msg'), [])

    const toCarol: Destination = { stream: conversationStream(alice.session.identity, 'carol'), to: 'Carol', inboxFor: 'carol' }
    const stored = await send(w, alice, 'for later', toCarol)
    assert.equal(stored.type, 'ack')
    assert.equal((stored as { stored?: boolean }).stored, true)
    const inbox = w.store.readInbox('carol', 10)
    assert.deepEqual(inbox.map(e => [e.message.to, e.message.from, e.message.text, e.message.id]), [['Carol', 'Alice', 'for later', 1]])
  })

  it('a key makes the delivery carry idempotency (stored with the message); without one it carries none', async t => {
    const w = world(t)
    const [alice] = await w.roomOf('general', 'alice')
    await send(w, alice, 'plain')
    await send(w, alice, 'keyed', general, 'key-1')
    const writes = w.store.appends.flat()
    assert.deepEqual(writes.map(write => [write.message.text, write.idempotency]), [
      ['plain', undefined],
      ['keyed', { scope: alice.session.keyScope, key: 'key-1' }]
    ])
    assert.equal(w.store.findByKey({ scope: alice.session.keyScope, key: 'key-1' })?.text, 'keyed')
  })
})
