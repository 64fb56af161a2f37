import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatMessage } from '@chat/protocol'
import { Harness } from '@chat/testing'
import { createServer } from '../src/index.js'

describe('message size limits', () => {
  it('refuses a room text over maxTextBytes (counted in UTF-8 bytes) and carries on without a gap in ids', async t => {
    const h = new Harness(t)
    const server = createServer({ maxTextBytes: 10 })
    const [alice, bob] = await h.usersIn(server, 'general', 'alice', 'bob')

    const ok1 = await alice.request({ type: 'send', room: 'general', text: 'x'.repeat(10) })
    assert.equal(ok1.type === 'ack' && ok1.id, 1)

    for (const text of ['x'.repeat(11), 'é'.repeat(6), '😀😀😀']) {
      const reply = await alice.request({ type: 'send', room: 'general', text })
      assert.equal(reply.type, 'error', text)
      assert.equal(reply.type === 'error' && reply.code, 'message_too_long', text)
      assert.notEqual(reply.type === 'error' && reply.fatal, true)
    }

    const ok2 = await alice.request({ type: 'send', room: 'general', text: 'é'.repeat(5) })
    assert.equal(ok2.type === 'ack' && ok2.id, 2, 'a refused message takes no id')

    await bob.sync()
    const texts = bob.received.filter((m): m is ChatMessage => m.type === 'msg').map(m => `${m.id}:${m.text}`)
    assert.deepEqual(texts, [`1:${'x'.repeat(10)}`, `2:${'é'.repeat(5)}`], 'refused texts reach no one')
    assert.equal(alice.isClosed, false)
  })

  it('refuses a DM text over maxTextBytes and carries on', async t => {
    const h = new Harness(t)
    const server = createServer({ maxTextBytes: 10 })
    const alice = await h.user(server, 'alice')
    const bob = await h.user(server, 'bob')
    const reply = await alice.request({ type: 'dm', to: 'bob', text: 'y'.repeat(11) })
    assert.equal(reply.type === 'error' && reply.code, 'message_too_long')
    const ack = await alice.request({ type: 'dm', to: 'bob', text: 'short' })
    assert.equal(ack.type === 'ack' && ack.id, 1)
    const msg = await bob.nextOfType('msg')
    assert.equal(msg.text, 'short')
    await bob.sync()
    assert.equal(bob.received.filter(m => m.type === 'msg').length, 1)
  })

  it('refuses a text within maxTextBytes whose msg frame would not fit in maxFrameBytes', async t => {
    const maxFrameBytes = 4_096
    const h = new Harness(t)
    const server = createServer({ maxFrameBytes, maxTextBytes: maxFrameBytes })
    const alice = await h.user(server, 'alice')
    await alice.join('general')
    // The send frame is exactly maxFrameBytes; the msg frame built from it (id, from, ts) is larger.
    const base = JSON.stringify({ type: 'send', req: 3, room: 'general', text: '' }).length
    const text = 'x'.repeat(maxFrameBytes - base)
    alice.send({ type: 'send', req: 3, room: 'general', text })
    const reply = await alice.next(m => 're' in m && m.re === 3)
    assert.equal(reply.type === 'error' && reply.code, 'message_too_long')
    assert.notEqual(reply.type === 'error' && reply.fatal, true)
    const ack = await alice.request({ type: 'send', room: 'general', text: 'fits' })
    assert.equal(ack.type === 'ack' && ack.id, 1)
    await alice.sync()
    assert.deepEqual(alice.received.filter(m => m.type === 'msg').map(m => m.type === 'msg' && m.text), ['fits'])
  })

  it('answers a rooms request whose full list would not fit in one frame without dropping the asker', async t => {
    const h = new Harness(t)
    const server = createServer()
    // One user in ~800 rooms with 64-character names: about 70 KB of room_list, over the 64 KiB frame.
    const hoarder = await h.user(server, 'hoarder')
    const rooms = Array.from({ length: 800 }, (_, i) => `room-${String(i).padStart(4, '0')}-${'r'.repeat(54)}`)
    for (const room of rooms) hoarder.send({ type: 'join', req: hoarder.req(), room })
    await hoarder.sync()
    assert.equal(hoarder.received.filter(m => m.type === 'joined').length, rooms.length)

    const alice = await h.user(server, 'alice')
    const req = alice.req()
    alice.send({ type: 'rooms', req })
    const reply = await alice.next(m => ('re' in m && m.re === req) || (m.type === 'error' && m.fatal === true), 'the room list or a fatal error')
    // Whatever the answer (the list, part of it, or a refusal), it is not a fatal error blaming alice's input.
    assert.notEqual(reply.type === 'error' && reply.fatal, true, `reply: ${JSON.stringify(reply).slice(0, 200)}`)
    await alice.sync()
    assert.equal(alice.isClosed, false)
  })
})
