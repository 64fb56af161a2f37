import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encodeFrame, ErrorCodes, FrameDecoder, ProtocolError, ROOM_PATTERN, USERNAME_PATTERN } from '@chat/protocol'
import { readMsg } from '@chat/protocol/fast'
import type { ChatMessage } from '@chat/protocol'
import { messageFrame } from '../src/message-frame.js'
import { frameBytesOf, WireBuilder } from '../src/wire-builder.js'

/** The template against the reference: encodeFrame of the same ChatMessage. */
function both (id: number, where: 'room' | 'to', name: string, from: string, text: string, ts: number, max = 65_536): [Uint8Array, Uint8Array] {
  const message: ChatMessage = where === 'room'
    ? { type: 'msg', id, room: name, from, text, ts }
    : { type: 'msg', id, to: name, from, text, ts }
  return [frameBytesOf(messageFrame(id, where, name, from, text, Buffer.byteLength(text), ts, max)), encodeFrame(message, max)]
}

const roomName = fc.stringMatching(ROOM_PATTERN)
const userName = fc.stringMatching(USERNAME_PATTERN)
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }), // any code point, lone surrogates included
  fc.string({ unit: 'binary-ascii', maxLength: 200 }), // control characters, quotes, backslashes
  fc.string({ unit: 'grapheme', maxLength: 50 })
)

describe('messageFrame', () => {
  it('makes the same bytes as encodeFrame for room and direct messages, whatever the text', () => {
    fc.assert(fc.property(
      fc.nat({ max: 2 ** 40 }), fc.constantFrom<'room' | 'to'>('room', 'to'), roomName, userName, userName, anyText, fc.nat({ max: 2 ** 45 }),
      (id, where, room, to, from, text, ts) => {
        const [template, reference] = both(id, where, where === 'room' ? room : to, from, text, ts)
        assert.deepEqual(Buffer.from(template), Buffer.from(reference))
      }
    ), { numRuns: 3000 })
  })

  it('handles the texts that need care: escapes, non-ASCII, lone surrogates, long ones', () => {
    for (const text of ['', 'plain', 'say "hi"\\', 'tab\tnew\nline\u0000', 'héllo wörld', '日本語', '🎉', '\ud800', 'a\udfffb', 'x'.repeat(300)]) {
      const [template, reference] = both(7, 'room', 'general', 'bob', text, 1_795_960_000_000)
      assert.deepEqual(Buffer.from(template), Buffer.from(reference), JSON.stringify(text))
    }
  })

  it('refuses a frame past the limit with frame_too_large, ASCII or not', () => {
    for (const text of ['a'.repeat(200), 'é'.repeat(100)]) {
      assert.throws(() => messageFrame(1, 'room', 'general', 'bob', text, Buffer.byteLength(text), 1, 150),
        (err: unknown) => err instanceof ProtocolError && err.code === ErrorCodes.FRAME_TOO_LARGE)
    }
  })

  it('joins frames of both kinds, in order, into the bytes of their concatenation', () => {
    fc.assert(fc.property(fc.array(fc.tuple(anyText, fc.nat({ max: 2 ** 40 })), { maxLength: 20 }), messages => {
      const wire = new WireBuilder()
      const expected: Uint8Array[] = []
      for (const [text, id] of messages) {
        wire.add(messageFrame(id, 'room', 'general', 'bob', text, Buffer.byteLength(text), 1, 65_536))
        expected.push(encodeFrame({ type: 'msg', id, room: 'general', from: 'bob', text, ts: 1 }))
      }
      assert.deepEqual(Buffer.from(wire.bytes()), Buffer.concat(expected))
    }), { numRuns: 500 })
  })

  it('prefixes long ASCII frames with a multi-byte length', () => {
    const text = 'a'.repeat(20_000) // a three-byte varint
    const [template, reference] = both(1, 'room', 'general', 'bob', text, 1)
    assert.deepEqual(Buffer.from(template), Buffer.from(reference))
  })

  it('writes live messages in the shape the SDK reads on its fast path', () => {
    for (const where of ['room', 'to'] as const) {
      for (const text of ['hello', 'héllo 🎉', '']) {
        const [body] = new FrameDecoder().push(frameBytesOf(messageFrame(3, where, 'general', 'bob', text, Buffer.byteLength(text), 1_795_960_000_000, 65_536)))
        const json = Buffer.from(body).toString('utf8')
        assert.notEqual(readMsg(json), undefined, json)
      }
    }
  })
})
