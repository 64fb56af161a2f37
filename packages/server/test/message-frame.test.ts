import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encodeFrame, ErrorCodes, FrameDecoder, ProtocolError, ROOM_PATTERN, USERNAME_PATTERN } from '@chat/protocol'
import { readMsg } from '@chat/protocol/fast'
import type { ChatMessage } from '@chat/protocol'
import { encodeText, messageBodyBytes, messageFrame } from '../src/commit/message-frame.js'
import { frameBytesOf, WireBuilder } from '../src/commit/wire-builder.js'

/** A frame from the template, as the fan-out makes it. */
function templateFrame (id: number, where: 'room' | 'to', name: string, from: string, text: string, ts: number, max = 65_536): string | Uint8Array {
  const stored = where === 'room' ? { stream: 'r', id, room: name, from, text, ts } : { stream: 'd', id, to: name, from, text, ts }
  return messageFrame(stored, encodeText(text, Buffer.byteLength(text)), max)
}

/** The template against the reference: encodeFrame of the same ChatMessage. */
function both (id: number, where: 'room' | 'to', name: string, from: string, text: string, ts: number, max = 65_536): [Uint8Array, Uint8Array] {
  const message: ChatMessage = where === 'room'
    ? { type: 'msg', id, room: name, from, text, ts }
    : { type: 'msg', id, to: name, from, text, ts }
  return [frameBytesOf(templateFrame(id, where, name, from, text, ts, max)), encodeFrame(message, max)]
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

  it('bounds the body from above before the id is known, exactly at the longest id and timestamp', () => {
    fc.assert(fc.property(
      fc.constantFrom<'room' | 'to'>('room', 'to'), roomName, userName, userName, anyText,
      fc.oneof(fc.nat({ max: 2 ** 40 }), fc.constant(Number.MAX_SAFE_INTEGER)), fc.oneof(fc.nat({ max: 2 ** 45 }), fc.constant(Number.MAX_SAFE_INTEGER)),
      (where, room, to, from, text, id, ts) => {
        const name = where === 'room' ? room : to
        const [body] = new FrameDecoder(1 << 20).push(both(id, where, name, from, text, ts, 1 << 20)[1])
        const bound = messageBodyBytes(name, from, encodeText(text, Buffer.byteLength(text)), where === 'to')
        assert.ok(body.byteLength <= bound, `${body.byteLength} > ${bound}`)
        if (id === Number.MAX_SAFE_INTEGER && ts === Number.MAX_SAFE_INTEGER) assert.equal(body.byteLength, bound)
      }
    ), { numRuns: 2000 })
  })

  it('refuses a frame past the limit with frame_too_large, ASCII or not', () => {
    for (const text of ['a'.repeat(200), 'é'.repeat(100)]) {
      assert.throws(() => templateFrame(1, 'room', 'general', 'bob', text, 1, 150),
        (err: unknown) => err instanceof ProtocolError && err.code === ErrorCodes.FRAME_TOO_LARGE)
    }
  })

  it('joins frames of both kinds, in order, into the bytes of their concatenation', () => {
    fc.assert(fc.property(fc.array(fc.tuple(anyText, fc.nat({ max: 2 ** 40 })), { maxLength: 20 }), messages => {
      const wire = new WireBuilder()
      const expected: Uint8Array[] = []
      for (const [text, id] of messages) {
        wire.add(templateFrame(id, 'room', 'general', 'bob', text, 1))
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
        const [body] = new FrameDecoder().push(frameBytesOf(templateFrame(3, where, 'general', 'bob', text, 1_795_960_000_000)))
        const json = Buffer.from(body).toString('utf8')
        assert.notEqual(readMsg(json), undefined, json)
      }
    }
  })
})
