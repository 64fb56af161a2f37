import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as itlp from 'it-length-prefixed'
import * as varint from 'uint8-varint'
import { encodeFrame, ErrorCodes, FrameDecoder, frameBytes, ProtocolError } from '../src/index.js'
import type { SendMessage } from '../src/index.js'
import { concat, cuts, frameBody, prefixLength, split } from './byte-streams.js'

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

/** What a decoder made of a stream: the bodies it yielded (copied), and the error that ended it, if any. */
interface Outcome { bodies: Uint8Array[], error?: unknown }

/** FrameDecoder over the chunks: it stops at its first error, as a connection would. */
function oursOver (chunks: Uint8Array[], maxFrameBytes: number): Outcome {
  const decoder = new FrameDecoder(maxFrameBytes)
  const bodies: Uint8Array[] = []
  try {
    for (const chunk of chunks) {
      for (const b of decoder.push(chunk)) bodies.push(b.slice())
      if (decoder.error !== undefined) throw decoder.error
    }
    decoder.end()
  } catch (error) {
    return { bodies, error }
  }
  return { bodies }
}

function theirsOver (chunks: Uint8Array[], maxDataLength: number): Outcome {
  const bodies: Uint8Array[] = []
  try {
    for (const b of itlp.decode(chunks, { maxDataLength })) bodies.push(b.slice())
  } catch (error) {
    return { bodies, error }
  }
  return { bodies }
}

function codeOf (error: unknown): string | undefined {
  return error instanceof ProtocolError ? error.code : (error as { code?: string } | undefined)?.code
}

/** A frame limit: often small, so that generated bodies reach it exactly. */
const limit = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 70000 }))

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

  it('encodeFrame produces what lp.encode produces for the message\'s UTF-8 JSON', () => {
    const send: fc.Arbitrary<SendMessage> = fc.record({
      type: fc.constant('send' as const), req: fc.maxSafeNat(), room: fc.string({ maxLength: 20 }), text: fc.string({ unit: 'binary', maxLength: 300 })
    }, { noNullPrototype: true })
    fc.assert(fc.property(send, (message) => {
      const json = new TextEncoder().encode(JSON.stringify(message))
      assert.deepEqual(new Uint8Array(encodeFrame(message)), itlp.encode.single(json).slice())
    }), { numRuns: NUM_RUNS })
  })

  it('an oversized length anywhere, for any chunking: both yield the same frames before it, then both refuse', () => {
    fc.assert(fc.property(limit, fc.array(frameBody, { maxLength: 5 }), fc.bigInt({ min: 1n, max: 2n ** 53n }), fc.uint8Array({ maxLength: 40 }), cuts,
      (max, generated, over, trailing, at) => {
        const bodies = generated.map(b => b.subarray(0, max))
        // Any length above the limit, up to 2^53 - 1: from 1 to 8 prefix bytes (ours refuses past 5 from the prefix alone).
        const length = Math.min(max + Number(over), Number.MAX_SAFE_INTEGER)
        const stream = concat([...bodies.map(b => frameBytes(b, max)), varint.encode(length), trailing])
        const chunks = split(stream, at)
        const ours = oursOver(chunks, max)
        const theirs = theirsOver(chunks, max)
        assert.deepEqual(ours.bodies, bodies)
        assert.deepEqual(theirs.bodies, bodies)
        assert.equal(codeOf(ours.error), ErrorCodes.FRAME_TOO_LARGE)
        assert.ok(['ERR_MSG_DATA_TOO_LONG', 'ERR_MSG_LENGTH_TOO_LONG'].includes(codeOf(theirs.error) ?? ''), `it-length-prefixed: ${String(theirs.error)}`)
      }), { numRuns: NUM_RUNS })
  })

  it('a stream cut inside a frame, for any chunking: both yield the frames before the cut, then both refuse (ours: malformed_frame)', () => {
    fc.assert(fc.property(fc.array(frameBody, { minLength: 1, maxLength: 6 }), fc.nat(), cuts, (bodies, cutAt, at) => {
      const frames = bodies.map(b => frameBytes(b, maxDataLength))
      const starts: number[] = []
      const headerEnds: number[] = []
      let offset = 0
      for (const f of frames) {
        starts.push(offset)
        headerEnds.push(offset + prefixLength(f))
        offset += f.byteLength
      }
      const cut = cutAt % offset
      fc.pre(!starts.includes(cut)) // a cut on a frame boundary is a clean end, not a truncation
      const chunks = split(concat(frames).subarray(0, cut), at)
      const complete = starts.filter(start => start < cut).length - 1

      const ours = oursOver(chunks, maxDataLength)
      const theirs = theirsOver(chunks, maxDataLength)
      assert.deepEqual(ours.bodies, bodies.slice(0, complete))
      assert.deepEqual(theirs.bodies, bodies.slice(0, complete))
      assert.equal(codeOf(ours.error), ErrorCodes.MALFORMED_FRAME)
      if (headerEnds.includes(cut)) {
        // it-length-prefixed only checks for unread bytes at the end: a stream that stops right
        // after a whole length prefix ends quietly there. PROTOCOL.md §2 makes it an error.
        assert.equal(theirs.error, undefined)
      } else {
        assert.equal(codeOf(theirs.error), 'ERR_UNEXPECTED_EOF')
      }
    }), { numRuns: NUM_RUNS })
  })
})
