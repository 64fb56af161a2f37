import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { ErrorCodes, frameBytes, ProtocolError } from '../src/index.js'
import { frameJson, frameLatin1 } from '../src/fast.js'

// The /fast writers must produce exactly the frames the general path (frameBytes of the UTF-8 text) does.

const utf8 = new TextEncoder()
const tooLarge = (err: unknown): boolean => err instanceof ProtocolError && err.code === ErrorCodes.FRAME_TOO_LARGE

/** Texts of any length up to past the 1- and 2-byte prefix ranges. */
const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 50 }),
  fc.nat({ max: 20000 }).map(n => 'x'.repeat(n))
)
const asciiText = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.nat({ max: 20000 }).map(n => '{'.repeat(n))
)

describe('/fast frame writers', () => {
  it('frameJson(text) is frameBytes of its UTF-8 bytes, and refuses what frameBytes refuses', () => {
    fc.assert(fc.property(anyText, fc.nat({ max: 30000 }), (text, max) => {
      const bytes = utf8.encode(text)
      if (bytes.byteLength > max) {
        assert.throws(() => frameJson(text, max), tooLarge)
        assert.throws(() => frameBytes(bytes, max), tooLarge)
      } else {
        assert.deepEqual(new Uint8Array(frameJson(text, max)), frameBytes(bytes, max))
      }
    }), { numRuns: 500 })
  })

  it('frameLatin1(ascii) as latin1 bytes is frameBytes of the text, and refuses what frameBytes refuses', () => {
    fc.assert(fc.property(asciiText, fc.nat({ max: 30000 }), (text, max) => {
      if (text.length > max) {
        assert.throws(() => frameLatin1(text, max), tooLarge)
        assert.throws(() => frameBytes(utf8.encode(text), max), tooLarge)
      } else {
        assert.deepEqual(new Uint8Array(Buffer.from(frameLatin1(text, max), 'latin1')), frameBytes(utf8.encode(text), max))
      }
    }), { numRuns: 500 })
  })

  it('frameLatin1 frames can be joined as strings and written once', () => {
    const texts = ['{"type":"ping","n":1}', 'x'.repeat(300), '']
    const joined = Buffer.from(texts.map(t => frameLatin1(t)).join(''), 'latin1')
    assert.deepEqual(new Uint8Array(joined), new Uint8Array(Buffer.concat(texts.map(t => frameBytes(utf8.encode(t))))))
  })
})
