import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame, frameBytes } from '@chat/protocol'
import type { ChatMessage } from '@chat/protocol'
import { garbage, Harness, varint } from '@chat/testing'
import type { RawClient } from '@chat/testing'
import { createServer } from '../src/index.js'
import type { ChatServer } from '../src/index.js'

const FATAL_FRAMING_CODES = ['malformed_frame', 'frame_too_large', 'invalid_utf8']

/** Two good clients chatting in a room, and a third logged in and joined, about to misbehave. */
async function roomWithBadPeer (h: Harness, server: ChatServer): Promise<{ alice: RawClient, bob: RawClient, bad: RawClient }> {
  const [alice, bob, bad] = await h.usersIn(server, 'general', 'alice', 'bob', 'mallory')
  return { alice, bob, bad }
}

/** The good clients see the bad one leave, then keep chatting both ways. */
async function goodClientsCarryOn (alice: RawClient, bob: RawClient): Promise<void> {
  for (const client of [alice, bob]) {
    const leave = await client.nextOfType('presence', m => m.event === 'leave')
    assert.deepEqual(leave, { type: 'presence', event: 'leave', room: 'general', user: 'mallory', reason: 'disconnected' })
  }
  for (const [from, to] of [[alice, bob], [bob, alice]] as const) {
    const text = `${from.name} after the bad peer`
    const ack = await from.request({ type: 'send', room: 'general', text })
    assert.equal(ack.type, 'ack')
    const own = await from.nextOfType('msg', m => m.text === text)
    const msg = await to.nextOfType('msg', m => m.text === text)
    assert.deepEqual(msg, own)
  }
  const members = await alice.request({ type: 'members', room: 'general' })
  assert.deepEqual(members.type === 'member_list' && members.members, ['alice', 'bob'])
}

async function expectFatal (client: RawClient, codes: string[]): Promise<void> {
  const error = await client.nextOfType('error', m => m.fatal === true)
  assert.ok(codes.includes(error.code), `fatal error code ${error.code} is one of ${codes.join(', ')}`)
  assert.equal(typeof error.message, 'string')
  await client.waitClosed()
}

describe('bad input', () => {
  it('closes a peer sending random bytes with a fatal framing error; others carry on', async t => {
    const h = new Harness(t)
    const server = createServer()
    for (const seed of [1, 2, 3, 42, 1234]) {
      const peer = h.connect(server, `garbage-${seed}`)
      // More than one largest frame, so whatever length the garbage starts with, it is exceeded or completed.
      peer.sendRaw(garbage(seed, 96 * 1024))
      await expectFatal(peer, FATAL_FRAMING_CODES)
    }
    const { alice, bob, bad } = await roomWithBadPeer(h, server)
    bad.sendRaw(garbage(99, 96 * 1024))
    await expectFatal(bad, FATAL_FRAMING_CODES)
    await goodClientsCarryOn(alice, bob)
  })

  it('refuses an oversized length prefix with frame_too_large before any of the body arrives', async t => {
    const h = new Harness(t)
    const server = createServer()
    const { alice, bob, bad } = await roomWithBadPeer(h, server)
    // Only the 10 MB header is sent: the refusal can't be waiting for the body.
    bad.sendRaw(varint(10 * 1024 * 1024))
    const error = await bad.nextOfType('error')
    assert.equal(error.code, 'frame_too_large')
    assert.equal(error.fatal, true)
    await bad.waitClosed()
    await goodClientsCarryOn(alice, bob)
  })

  it('refuses a frame one byte over maxFrameBytes, and accepts one at the limit', async t => {
    const maxFrameBytes = 1_024
    const h = new Harness(t)
    const server = createServer({ maxFrameBytes })
    const alice = await h.user(server, 'alice')
    // A valid request whose frame body is exactly maxFrameBytes (unknown fields are ignored).
    const base = JSON.stringify({ type: 'rooms', req: 9, pad: '' })
    const atLimit = new TextEncoder().encode(JSON.stringify({ type: 'rooms', req: 9, pad: 'x'.repeat(maxFrameBytes - base.length) }))
    assert.equal(atLimit.byteLength, maxFrameBytes)
    alice.sendRaw(frameBytes(atLimit, maxFrameBytes))
    const reply = await alice.next(m => 're' in m && m.re === 9)
    assert.equal(reply.type, 'room_list')

    const bad = await h.user(server, 'mallory')
    bad.sendRaw(varint(maxFrameBytes + 1))
    const error = await bad.nextOfType('error')
    assert.equal(error.code, 'frame_too_large')
    await bad.waitClosed()
    assert.equal(alice.isClosed, false)
  })

  it('refuses a body that is not UTF-8 with invalid_utf8', async t => {
    const h = new Harness(t)
    const server = createServer()
    const { alice, bob, bad } = await roomWithBadPeer(h, server)
    bad.sendRaw(frameBytes(Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])))
    const error = await bad.nextOfType('error')
    assert.equal(error.code, 'invalid_utf8')
    assert.equal(error.fatal, true)
    await bad.waitClosed()
    await goodClientsCarryOn(alice, bob)
  })

  it('refuses a body that is not JSON with malformed_frame', async t => {
    const h = new Harness(t)
    const server = createServer()
    const { alice, bob, bad } = await roomWithBadPeer(h, server)
    bad.sendRaw(frameBytes(new TextEncoder().encode('{"type": "send", ')))
    const error = await bad.nextOfType('error')
    assert.equal(error.code, 'malformed_frame')
    assert.equal(error.fatal, true)
    await bad.waitClosed()
    await goodClientsCarryOn(alice, bob)
  })

  it('answers frames before a bad one in the same chunk, then closes', async t => {
    const h = new Harness(t)
    const server = createServer()
    const { alice, bob, bad } = await roomWithBadPeer(h, server)
    const chunk = Buffer.concat([
      encodeFrame({ type: 'send', req: 50, room: 'general', text: 'last words' }),
      frameBytes(Uint8Array.from([0xc3, 0x28]))
    ])
    bad.sendRaw(chunk)
    const ack = await bad.next(m => 're' in m && m.re === 50)
    assert.equal(ack.type, 'ack')
    const error = await bad.nextOfType('error')
    assert.equal(error.code, 'invalid_utf8')
    await bad.waitClosed()
    for (const client of [alice, bob]) {
      const msg = await client.nextOfType('msg')
      assert.equal(msg.text, 'last words')
    }
    await goodClientsCarryOn(alice, bob)
  })

  it('refuses valid JSON of an unknown type with unknown_type and re, and carries on', async t => {
    const h = new Harness(t)
    const server = createServer()
    const { alice, bob, bad } = await roomWithBadPeer(h, server)
    bad.send({ type: 'frobnicate', req: 77, room: 'general' })
    const error = await bad.nextOfType('error')
    assert.deepEqual({ code: error.code, re: error.re, fatal: error.fatal === true }, { code: 'unknown_type', re: 77, fatal: false })

    // Not a framing problem: the same connection keeps working, and nobody was dropped.
    const ack = await bad.request({ type: 'send', room: 'general', text: 'sorry' })
    assert.equal(ack.type, 'ack')
    for (const client of [alice, bob]) {
      const msg = await client.nextOfType('msg')
      assert.equal(msg.text, 'sorry')
    }
    assert.equal(bad.isClosed, false)
    await alice.sync()
    assert.deepEqual(alice.received.filter(m => m.type === 'presence' && m.event === 'leave'), [])
  })

  it('refuses ill-formed messages with invalid_message and carries on', async t => {
    const h = new Harness(t)
    const server = createServer()
    const alice = await h.user(server, 'alice')
    await alice.join('general')
    const cases: Array<[unknown, number | undefined]> = [
      [[1, 2, 3], undefined],
      ['just a string', undefined],
      [null, undefined],
      [{ req: 5 }, 5],
      [{ type: 'send', req: 6, room: 'general' }, 6],
      [{ type: 'send', req: 7, room: 'general', text: 42 }, 7],
      [{ type: 'join', req: -1, room: 'general' }, undefined],
      [{ type: 'join', req: 1.5, room: 'general' }, undefined]
    ]
    for (const [value, re] of cases) {
      alice.sendRaw(frameBytes(new TextEncoder().encode(JSON.stringify(value))))
      const error = await alice.nextOfType('error')
      assert.equal(error.code, 'invalid_message', JSON.stringify(value))
      assert.equal(error.re, re, JSON.stringify(value))
      assert.notEqual(error.fatal, true)
    }
    const ack = await alice.request({ type: 'send', room: 'general', text: 'fine' })
    assert.equal(ack.type, 'ack')
    assert.equal(alice.isClosed, false)
  })

  it('refuses a lone surrogate in a text, name, key or password with invalid_message: nothing is delivered or stored', async t => {
    const h = new Harness(t)
    const server = createServer({ dataDir: h.tempDir('chat-unicode-') })
    const [alice, bob] = await h.usersIn(server, 'general', 'alice', 'bob')
    // JSON escapes, as a client writes them: every byte is ASCII, so this is the send fast path's input.
    const refused = [
      '{"type":"send","req":101,"room":"general","text":"lone\\ud800x"}',
      '{"type":"send","req":102,"room":"general","text":"ok","key":"k\\udfff"}',
      '{"type":"dm","req":103,"to":"bob","text":"end\\ud83d"}',
      '{"type":"join","req":104,"room":"gen\\udc00"}',
      '{"type":"history","req":105,"with":"b\\ud800b"}'
    ]
    for (const json of refused) {
      alice.sendRaw(frameBytes(new TextEncoder().encode(json)))
      const error = await alice.nextOfType('error')
      assert.deepEqual([error.code, error.re, error.fatal], ['invalid_message', JSON.parse(json).req, undefined], json)
    }
    const newcomer = h.connect(server, 'newcomer')
    newcomer.sendRaw(frameBytes(new TextEncoder().encode('{"type":"hello","v":1,"req":1,"username":"carol","password":"pass\\ud800word","register":true}')))
    const error = await newcomer.nextOfType('error')
    assert.deepEqual([error.code, error.re], ['invalid_message', 1])

    // A surrogate pair, escaped or not, is one character: sent, stored and read back as it was.
    alice.sendRaw(frameBytes(new TextEncoder().encode('{"type":"send","req":106,"room":"general","text":"pair \\ud83d\\ude00 and 😀"}')))
    assert.equal((await alice.next(m => 're' in m && m.re === 106)).type, 'ack')
    await bob.sync()
    assert.deepEqual(bob.received.filter(m => m.type === 'msg').map(m => m.type === 'msg' && m.text), ['pair 😀 and 😀'])
    const page = await bob.request({ type: 'history', room: 'general' })
    assert.deepEqual(page.type === 'history_page' && page.messages.map(m => m.text), ['pair 😀 and 😀'])
    assert.equal(alice.isClosed, false)
  })

  it('treats a stream that ends inside a frame as malformed', async t => {
    const h = new Harness(t)
    const server = createServer()
    const { alice, bob, bad } = await roomWithBadPeer(h, server)
    const frame = encodeFrame({ type: 'send', req: 9, room: 'general', text: 'cut short' })
    bad.sendRaw(frame.subarray(0, frame.byteLength - 3))
    bad.end()
    await bad.waitClosed()
    await goodClientsCarryOn(alice, bob)
    await alice.sync()
    assert.deepEqual(alice.received.filter((m): m is ChatMessage => m.type === 'msg' && m.text === 'cut short'), [])
  })
})
