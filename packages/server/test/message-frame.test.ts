import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encodeFrame, ErrorCodes, FrameDecoder, ProtocolError, ROOM_PATTERN, USERNAME_PATTERN } from '@chat/protocol'
import { decodeClientMessageInPlace, readMsg } from '@chat/protocol/fast'
import type { SendInPlace } from '@chat/protocol/fast'
import type { ChatMessage } from '@chat/protocol'
import { AckBatch } from '../src/commit/ack-batch.js'
import { DecimalScratch } from '../src/commit/decimal-scratch.js'
import { encodeText, FrameHeads, messageBodyBytes, messageFrames, textInPlace } from '../src/commit/message-frame.js'
import type { FramedMessage } from '../src/commit/message-frame.js'
import type { Session } from '../src/session/session.js'

function framed (id: number, where: 'room' | 'to', name: string, from: string, text: string, ts: number): FramedMessage {
  const message = where === 'room' ? { stream: 'r', id, room: name, from, text, ts } : { stream: 'd', id, to: name, from, text, ts }
  return { message, encoded: encodeText(text, Buffer.byteLength(text)) }
}

/** The same message with its text read in place from a `send` frame, as the server reads a plain ASCII one (undefined if it would not be). */
function framedInPlace (id: number, where: 'room' | 'to', name: string, from: string, text: string, ts: number): FramedMessage | undefined {
  const send = Buffer.from(`xyz${JSON.stringify({ type: 'send', req: 1, room: 'general', text })}`, 'utf8')
  const read = decodeClientMessageInPlace(send, 3, send.length)
  if (!('textAt' in read)) return undefined
  const { bytes, textAt } = read as SendInPlace
  const { message } = framed(id, where, name, from, text, ts)
  return { message, encoded: textInPlace(text, bytes, textAt) }
}

function reference (id: number, where: 'room' | 'to', name: string, from: string, text: string, ts: number, max = 65_536): Uint8Array {
  const message: ChatMessage = where === 'room'
    ? { type: 'msg', id, room: name, from, text, ts }
    : { type: 'msg', id, to: name, from, text, ts }
  return encodeFrame(message, max)
}

const roomName = fc.stringMatching(ROOM_PATTERN)
const userName = fc.stringMatching(USERNAME_PATTERN)
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }), // any code point, lone surrogates included
  fc.string({ unit: 'binary-ascii', maxLength: 200 }), // control characters, quotes, backslashes
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.string({ unit: 'grapheme-ascii', maxLength: 200 })
)
const number = fc.oneof(fc.nat({ max: 2 ** 45 }), fc.constantFrom(0, 9, 10, 99, 100, 10 ** 15 - 1, 10 ** 15, Number.MAX_SAFE_INTEGER))

describe('messageFrames', () => {
  it('makes the same bytes as encodeFrame for room and direct messages, whatever the text, from a string or read in place', () => {
    fc.assert(fc.property(
      number, fc.constantFrom<'room' | 'to'>('room', 'to'), roomName, userName, userName, anyText, number,
      (id, where, room, to, from, text, ts) => {
        const name = where === 'room' ? room : to
        const wanted = Buffer.from(reference(id, where, name, from, text, ts))
        assert.deepEqual(messageFrames([framed(id, where, name, from, text, ts)], 65_536), wanted)
        const inPlace = framedInPlace(id, where, name, from, text, ts)
        if (inPlace !== undefined) assert.deepEqual(messageFrames([inPlace], 65_536), wanted)
      }
    ), { numRuns: 3000 })
  })

  it('reads plain ASCII texts in place, and only those', () => {
    for (const text of ['', 'plain', 'x'.repeat(47), 'x'.repeat(48), 'x'.repeat(300), '~ DEL \x7f too']) {
      const inPlace = framedInPlace(7, 'room', 'general', 'bob', text, 1_795_960_000_000)
      assert.notEqual(inPlace, undefined, text)
      assert.deepEqual(messageFrames([inPlace!], 65_536), Buffer.from(reference(7, 'room', 'general', 'bob', text, 1_795_960_000_000)))
    }
    for (const text of ['say "hi"', 'back\\slash', 'tab\t', 'héllo']) assert.equal(framedInPlace(7, 'room', 'general', 'bob', text, 1), undefined, text)
  })

  it('handles the texts that need care: escapes, non-ASCII, lone surrogates, long ones', () => {
    for (const text of ['', 'plain', 'say "hi"\\', 'tab\tnew\nline\u0000', 'héllo wörld', '日本語', '🎉', '\ud800', 'a\udfffb', 'x'.repeat(300), 'é'.repeat(10_000)]) {
      assert.deepEqual(messageFrames([framed(7, 'room', 'general', 'bob', text, 1_795_960_000_000)], 65_536),
        Buffer.from(reference(7, 'room', 'general', 'bob', text, 1_795_960_000_000)), JSON.stringify(text))
    }
  })

  it('bounds the body from above before the id is known, exactly at the longest id and timestamp', () => {
    fc.assert(fc.property(
      fc.constantFrom<'room' | 'to'>('room', 'to'), roomName, userName, userName, anyText, number, number,
      (where, room, to, from, text, id, ts) => {
        const name = where === 'room' ? room : to
        const [body] = new FrameDecoder(1 << 20).push(reference(id, where, name, from, text, ts, 1 << 20))
        const bound = messageBodyBytes(name, from, encodeText(text, Buffer.byteLength(text)), where === 'to')
        assert.ok(body.byteLength <= bound, `${body.byteLength} > ${bound}`)
        if (id === Number.MAX_SAFE_INTEGER && ts === Number.MAX_SAFE_INTEGER) assert.equal(body.byteLength, bound)
      }
    ), { numRuns: 2000 })
  })

  it('refuses a frame past the limit with frame_too_large, ASCII or not', () => {
    for (const text of ['a'.repeat(200), 'é'.repeat(100)]) {
      assert.throws(() => messageFrames([framed(1, 'room', 'general', 'bob', text, 1)], 150),
        (err: unknown) => err instanceof ProtocolError && err.code === ErrorCodes.FRAME_TOO_LARGE)
    }
  })

  it('writes many frames, of every kind, in order, as the bytes of their concatenation (heads kept from call to call)', () => {
    const heads = new FrameHeads()
    const sender = fc.constantFrom('bob', 'alice', 'general')
    fc.assert(fc.property(fc.array(fc.tuple(anyText, number, fc.boolean(), fc.constantFrom<'room' | 'to'>('room', 'to'), sender, sender), { maxLength: 20 }), messages => {
      const list: FramedMessage[] = []
      const expected: Uint8Array[] = []
      for (const [text, id, inPlace, where, name, from] of messages) {
        list.push((inPlace ? framedInPlace(id, where, name, from, text, 1) : undefined) ?? framed(id, where, name, from, text, 1))
        expected.push(reference(id, where, name, from, text, 1))
      }
      assert.deepEqual(messageFrames(list, 65_536, heads), Buffer.concat(expected))
    }), { numRuns: 500 })
  })

  it('prefixes long frames with a multi-byte length', () => {
    for (const text of ['a'.repeat(20_000), 'a'.repeat(60), 'é'.repeat(30_000)]) {
      assert.deepEqual(messageFrames([framed(1, 'room', 'general', 'bob', text, 1)], 65_536), Buffer.from(reference(1, 'room', 'general', 'bob', text, 1)))
    }
  })

  it('writes live messages in the shape the SDK reads on its fast path', () => {
    for (const where of ['room', 'to'] as const) {
      for (const text of ['hello', 'héllo 🎉', '']) {
        const [body] = new FrameDecoder().push(messageFrames([framed(3, where, 'general', 'bob', text, 1_795_960_000_000)], 65_536))
        const json = Buffer.from(body).toString('utf8')
        assert.notEqual(readMsg(json), undefined, json)
      }
    }
  })
})

describe('AckBatch', () => {
  it('writes each sender\'s acks as the frames encodeFrame makes, in order, one buffer per sender', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.nat({ max: 2 }), number, number, number, fc.boolean()), { maxLength: 40 }), acks => {
      const sent = new Map<number, Uint8Array[]>()
      const senders = [0, 1, 2].map(n => ({ send: (bytes: Uint8Array) => { sent.set(n, [...sent.get(n) ?? [], Buffer.from(bytes)]) } }) as unknown as Session)
      const batch = new AckBatch()
      const expected = new Map<number, Uint8Array[]>()
      for (const [who] of acks) batch.expect(senders[who])
      batch.allocate()
      for (const [who, re, id, ts, stored] of acks) {
        batch.add(senders[who], re, id, ts, stored)
        expected.set(who, [...expected.get(who) ?? [], encodeFrame(stored ? { type: 'ack', re, id, ts, stored } : { type: 'ack', re, id, ts })])
      }
      batch.send()
      for (const [who, frames] of expected) assert.deepEqual(sent.get(who), [Buffer.concat(frames)])
      assert.equal(sent.size, expected.size)
    }), { numRuns: 1000 })
  })
})

describe('DecimalScratch', () => {
  it('writes any sequence of numbers as JSON does, whether it counts up, jumps or goes back', () => {
    const prefix = Uint8Array.from(',"id":', c => c.charCodeAt(0))
    const suffix = Uint8Array.from('}', c => c.charCodeAt(0))
    const step = fc.oneof(fc.constant(0), fc.constant(1), fc.nat({ max: 20 }), fc.nat({ max: 2 ** 31 }), fc.integer({ min: -1000, max: -1 }))
    fc.assert(fc.property(number, fc.array(step, { maxLength: 60 }), (first, steps) => {
      const scratch = new DecimalScratch(prefix, suffix)
      let n = first
      for (const delta of [0, ...steps]) {
        n = Math.min(Number.MAX_SAFE_INTEGER, Math.max(0, n + delta))
        assert.equal(Buffer.from(scratch.set(n)).toString('latin1'), `,"id":${n}}`)
      }
    }), { numRuns: 2000 })
    const scratch = new DecimalScratch(prefix)
    for (const n of [0, 9, 10, 99, 100, 99_999_999, 100_000_000, 100_000_001, 10 ** 15 - 1, 10 ** 15, Number.MAX_SAFE_INTEGER - 1, Number.MAX_SAFE_INTEGER, 7]) {
      assert.equal(Buffer.from(scratch.set(n)).toString('latin1'), `,"id":${n}`)
    }
  })
})
