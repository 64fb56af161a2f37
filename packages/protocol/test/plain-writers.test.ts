import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encodeFrame, ProtocolError } from '../src/index.js'
import type { DirectMessage, SendMessage } from '../src/index.js'
import { frameRequest } from '../src/fast.js'

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'binary-ascii', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 20 })
)

describe('frameRequest', () => {
  it('makes the bytes encodeFrame makes, for sends and dms with or without a key, whatever their strings', () => {
    fc.assert(fc.property(fc.nat({ max: 2 ** 53 - 1 }), fc.boolean(), anyText, anyText, fc.option(anyText, { nil: undefined }), (req, send, where, text, key) => {
      const message: SendMessage | DirectMessage = send ? { type: 'send', req, room: where, text } : { type: 'dm', req, to: where, text }
      if (key !== undefined) message.key = key
      assert.deepEqual(Buffer.from(frameRequest(message)), Buffer.from(encodeFrame(message)))
    }), { numRuns: 3000 })
  })

  it('frames a body of 127, 128 and 16,384 bytes as encodeFrame does (one, two, three bytes of length)', () => {
    for (const size of [127, 128, 16_383, 16_384, 70_000]) {
      const skeleton = JSON.stringify({ type: 'send', req: 1, room: 'r', text: '' }).length
      const message: SendMessage = { type: 'send', req: 1, room: 'r', text: 'x'.repeat(size - skeleton) }
      assert.deepEqual(Buffer.from(frameRequest(message, 100_000)), Buffer.from(encodeFrame(message, 100_000)), `${size} bytes`)
    }
  })

  it('refuses a frame over the limit with frame_too_large, as encodeFrame does', () => {
    const message: SendMessage = { type: 'send', req: 1, room: 'r', text: 'x'.repeat(200) }
    assert.throws(() => frameRequest(message, 100), (err: unknown) => err instanceof ProtocolError && err.code === 'frame_too_large')
    assert.throws(() => encodeFrame(message, 100), (err: unknown) => err instanceof ProtocolError && err.code === 'frame_too_large')
  })
})
