import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as itlp from 'it-length-prefixed'
import { ErrorCodes, FrameDecoder, frameBytes } from '../src/index.js'
import { concat, cuts, frameBody, split } from './byte-streams.js'

// it-length-prefixed is the reference framing (DESIGN.md): ours must agree with it byte for byte.

const NUM_RUNS = 300
const maxDataLength = 1 << 20

function decodeFrames (chunks: Uint8Array[], maxFrameBytes?: number): Uint8Array[] {
  const decoder = new FrameDecoder(maxFrameBytes)
  const out: Uint8Array[] = []
  for (const chunk of chunks) for (const b of decoder.push(chunk)) out.push(b.slice())
  decoder.end()
  return out
}

describe('conformance with it-length-prefixed (the reference framing)', () => {
  it('FrameDecoder yields exactly what lp.decode yields, for any chunking', () => {
    fc.assert(fc.property(fc.array(frameBody, { maxLength: 8 }), cuts, (bodies, at) => {
      const chunks = split(concat(bodies.map(b => frameBytes(b, maxDataLength))), at)
      const ours = decodeFrames(chunks, maxDataLength)
      const theirs = [...itlp.decode(chunks, { maxDataLength })].map(b => b.slice())
      assert.deepEqual(ours, theirs)
      assert.deepEqual(ours, bodies)
    }), { numRuns: NUM_RUNS })
  })

  it('frameBytes produces the bytes lp.encode produces, and each decodes the other\'s frames', () => {
    fc.assert(fc.property(fc.array(frameBody, { maxLength: 8 }), cuts, (bodies, at) => {
      const ourStream = concat(bodies.map(b => frameBytes(b, maxDataLength)))
      const lpStream = concat([...itlp.encode(bodies)])
      assert.deepEqual(ourStream, lpStream)
      for (const b of bodies) assert.deepEqual(frameBytes(b, maxDataLength), itlp.encode.single(b).slice())
      assert.deepEqual(decodeFrames(split(lpStream, at), maxDataLength), bodies)
      assert.deepEqual([...itlp.decode(split(ourStream, at), { maxDataLength })].map(b => b.slice()), bodies)
    }), { numRuns: 200 })
  })

  it('both refuse a frame one byte over the limit, from its header', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 70000 }), (limit) => {
      const header = frameBytes(new Uint8Array(limit + 1), limit + 1).subarray(0, -(limit + 1))
      const decoder = new FrameDecoder(limit)
      decoder.push(header)
      assert.equal(decoder.error?.code, ErrorCodes.FRAME_TOO_LARGE)
      assert.throws(() => [...itlp.decode([header], { maxDataLength: limit })], /too long/i)
    }), { numRuns: 200 })
  })
})
