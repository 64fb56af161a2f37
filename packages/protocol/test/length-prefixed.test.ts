import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import * as itlp from 'it-length-prefixed'
import { pipe } from 'it-pipe'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { DEFAULT_MAX_FRAME_BYTES, ErrorCodes, frameBytes, lp, ProtocolError } from '../src/index.js'
import type { LengthPrefixedOptions } from '../src/index.js'
import { concat, cuts, filled, frameBody, prefixLength, split } from './byte-streams.js'

// lp.encode / lp.decode against it-length-prefixed's, in it-pipe pipelines, each side framing for the other.

const NUM_RUNS = 200
const maxDataLength = 1 << 20

type Bytes = Uint8Array | Uint8ArrayList

/** A body as a Uint8Array or as a Uint8ArrayList of two parts (stages accept both). */
const anyBody = fc.oneof(frameBody, fc.tuple(frameBody, fc.nat()).map(([b, k]) => {
  const at = k % (b.byteLength + 1)
  return new Uint8ArrayList(b.subarray(0, at), b.subarray(at))
}))

async function * fromArray<T> (items: T[]): AsyncGenerator<T, void, undefined> {
  for (const item of items) yield item
}

/** The bodies as a pipeline source: sync or async. */
function sourceOf (bodies: Bytes[], async: boolean): Iterable<Bytes> | AsyncIterable<Bytes> {
  return async ? fromArray(bodies) : bodies
}

/** A stage that cuts the byte stream at the given points whatever the frames, as a socket does. */
function rechunk (at: number[]) {
  return async function * (source: Iterable<Bytes> | AsyncIterable<Bytes>): AsyncGenerator<Uint8Array, void, undefined> {
    const parts: Uint8Array[] = []
    for await (const chunk of source) parts.push(chunk.slice())
    yield * split(concat(parts), at)
  }
}

interface Outcome { items: Uint8Array[], error?: unknown }

/** A sink that copies every item and keeps the error that ended the stream, if any. */
async function collect (source: Iterable<Bytes> | AsyncIterable<Bytes>): Promise<Outcome> {
  const items: Uint8Array[] = []
  try {
    for await (const item of source) items.push(item.slice())
  } catch (error) {
    return { items, error }
  }
  return { items }
}

function codeOf (error: unknown): string | undefined {
  return (error as { code?: string } | undefined)?.code
}

function assertProtocolError (error: unknown, code: string): void {
  assert.ok(error instanceof ProtocolError, `expected ProtocolError ${code}, got ${String(error)}`)
  assert.equal(error.code, code)
  assert.equal(error.fatal, true)
}

/** Our limit under either option name (both must work). */
function ourLimit (max: number, useLpName: boolean): LengthPrefixedOptions {
  return useLpName ? { maxDataLength: max } : { maxFrameBytes: max }
}

describe('lp.encode and lp.decode (it-length-prefixed compatible stages)', () => {
  it('pipe(bodies, lp.encode, any chunking, it-length-prefixed decode) gives the bodies back', async () => {
    await fc.assert(fc.asyncProperty(fc.array(anyBody, { maxLength: 8 }), cuts, fc.boolean(), async (bodies, at, async) => {
      const out = await pipe(sourceOf(bodies, async), s => lp.encode(s, { maxDataLength }), rechunk(at), s => itlp.decode(s, { maxDataLength }), collect)
      assert.equal(out.error, undefined)
      assert.deepEqual(out.items, bodies.map(b => b.slice()))
    }), { numRuns: NUM_RUNS })
  })

  it('pipe(bodies, it-length-prefixed encode, any chunking, lp.decode) gives the bodies back', async () => {
    await fc.assert(fc.asyncProperty(fc.array(anyBody, { maxLength: 8 }), cuts, fc.boolean(), async (bodies, at, async) => {
      const out = await pipe(sourceOf(bodies, async), s => itlp.encode(s, { maxDataLength }), rechunk(at), s => lp.decode(s, { maxDataLength }), collect)
      assert.equal(out.error, undefined)
      assert.deepEqual(out.items, bodies.map(b => b.slice()))
    }), { numRuns: NUM_RUNS })
  })

  it('lp.encode writes it-length-prefixed\'s bytes, one chunk per frame (prefix and body together)', () => {
    fc.assert(fc.property(fc.array(anyBody, { maxLength: 8 }), (bodies) => {
      const ours = [...lp.encode(bodies, { maxDataLength })]
      assert.equal(ours.length, bodies.length)
      assert.deepEqual(concat(ours), concat([...itlp.encode(bodies, { maxDataLength })]))
    }), { numRuns: NUM_RUNS })
  })

  it('encoding: both refuse the first body over the limit, after the same frames, ours with frame_too_large', async () => {
    const limit = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 25000 }))
    await fc.assert(fc.asyncProperty(limit, fc.array(anyBody, { maxLength: 8 }), fc.boolean(), fc.boolean(), async (max, bodies, async, useLpName) => {
      const ours = await pipe(sourceOf(bodies, async), s => lp.encode(s, ourLimit(max, useLpName)), collect)
      const theirs = await pipe(sourceOf(bodies, async), s => itlp.encode(s, { maxDataLength: max }), collect)
      assert.deepEqual(concat(ours.items), concat(theirs.items))
      const fits = bodies.findIndex(b => b.byteLength > max) === -1
      assert.equal(ours.items.length, fits ? bodies.length : bodies.findIndex(b => b.byteLength > max))
      if (fits) {
        assert.equal(ours.error, undefined)
        assert.equal(theirs.error, undefined)
      } else {
        assertProtocolError(ours.error, ErrorCodes.FRAME_TOO_LARGE)
        assert.equal(codeOf(theirs.error), 'ERR_MSG_DATA_TOO_LONG')
      }
    }), { numRuns: NUM_RUNS })
  })

  it('decoding: both refuse an oversized length anywhere, for any chunking, after the same bodies, ours with frame_too_large', async () => {
    const limit = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 70000 }))
    await fc.assert(fc.asyncProperty(limit, fc.array(frameBody, { maxLength: 5 }), fc.bigInt({ min: 1n, max: 2n ** 53n }), fc.uint8Array({ maxLength: 40 }), cuts, fc.boolean(), fc.boolean(),
      async (max, generated, over, trailing, at, async, useLpName) => {
        const bodies = generated.map(b => b.subarray(0, max))
        const length = Math.min(max + Number(over), Number.MAX_SAFE_INTEGER)
        const chunks = split(concat([...bodies.map(b => frameBytes(b, max)), varint.encode(length), trailing]), at)
        const ours = await pipe(sourceOf(chunks, async), s => lp.decode(s, ourLimit(max, useLpName)), collect)
        const theirs = await pipe(sourceOf(chunks, async), s => itlp.decode(s, { maxDataLength: max }), collect)
        assert.deepEqual(ours.items, bodies)
        assert.deepEqual(theirs.items, bodies)
        assertProtocolError(ours.error, ErrorCodes.FRAME_TOO_LARGE)
        assert.ok(['ERR_MSG_DATA_TOO_LONG', 'ERR_MSG_LENGTH_TOO_LONG'].includes(codeOf(theirs.error) ?? ''), String(theirs.error))
      }), { numRuns: NUM_RUNS })
  })

  it('decoding: a stream that ends inside a frame throws malformed_frame after the whole frames, for any chunking', async () => {
    await fc.assert(fc.asyncProperty(fc.array(frameBody, { minLength: 1, maxLength: 6 }), fc.nat(), cuts, fc.boolean(), async (bodies, cutAt, at, async) => {
      const frames = bodies.map(b => frameBytes(b, maxDataLength))
      const starts = frames.map((_, i) => frames.slice(0, i).reduce((n, f) => n + f.byteLength, 0))
      const total = concat(frames)
      const cut = cutAt % total.byteLength
      fc.pre(!starts.includes(cut)) // a cut on a frame boundary is a clean end
      const out = await pipe(sourceOf(split(total.subarray(0, cut), at), async), s => lp.decode(s, { maxDataLength }), collect)
      assert.deepEqual(out.items, bodies.slice(0, starts.filter(start => start < cut).length - 1))
      assertProtocolError(out.error, ErrorCodes.MALFORMED_FRAME)
    }), { numRuns: NUM_RUNS })
  })

  it('refuses a stream that stops right after a length prefix (where it-length-prefixed ends quietly)', () => {
    const frame = frameBytes(filled(300, 1))
    const header = frame.subarray(0, prefixLength(frame))
    assert.deepEqual([...itlp.decode([header])], [])
    assert.throws(() => [...lp.decode([header])], (err: unknown) => err instanceof ProtocolError && err.code === ErrorCodes.MALFORMED_FRAME)
  })

  it('stays synchronous over a sync source, and is async over an async one', async () => {
    const frame = frameBytes(Uint8Array.of(1, 2, 3))
    const syncDecode = lp.decode([frame])
    assert.equal(Symbol.asyncIterator in syncDecode, false)
    assert.deepEqual([...syncDecode], [Uint8Array.of(1, 2, 3)])
    const syncEncode = lp.encode([Uint8Array.of(1, 2, 3)])
    assert.equal(Symbol.asyncIterator in syncEncode, false)
    assert.deepEqual([...syncEncode], [frame])
    assert.equal(Symbol.asyncIterator in lp.decode(fromArray([frame])), true)
    assert.equal(Symbol.asyncIterator in lp.encode(fromArray([frame])), true)
  })

  it('defaults to DEFAULT_MAX_FRAME_BYTES, and maxFrameBytes wins over maxDataLength', () => {
    const atLimit = filled(DEFAULT_MAX_FRAME_BYTES, 2)
    const over = filled(DEFAULT_MAX_FRAME_BYTES + 1, 3)
    assert.deepEqual([...lp.decode(lp.encode([atLimit]))], [atLimit])
    assert.throws(() => [...lp.encode([over])], (err: unknown) => err instanceof ProtocolError && err.code === ErrorCodes.FRAME_TOO_LARGE)
    const overFrame = frameBytes(over, over.byteLength)
    assert.throws(() => [...lp.decode([overFrame])], (err: unknown) => err instanceof ProtocolError && err.code === ErrorCodes.FRAME_TOO_LARGE)
    assert.deepEqual([...lp.decode([overFrame], { maxDataLength: over.byteLength })], [over])
    assert.throws(() => [...lp.decode([overFrame], { maxFrameBytes: DEFAULT_MAX_FRAME_BYTES, maxDataLength: over.byteLength })], ProtocolError)
    assert.deepEqual([...lp.encode([over], { maxFrameBytes: over.byteLength, maxDataLength: 1 })], [overFrame])
  })

  it('decodes in place: a body within one chunk is a view of it', () => {
    const chunk = concat([frameBytes(Uint8Array.of(1, 2)), frameBytes(Uint8Array.of(3))])
    const [first, second] = [...lp.decode([chunk])]
    assert.equal(first.buffer, chunk.buffer)
    assert.equal(second.byteOffset, chunk.byteOffset + 4)
  })

  it('drops in for it-length-prefixed in a pipe: pipe(source, lp.encode, lp.decode, sink)', async () => {
    const bodies = [Uint8Array.of(1), new Uint8Array(0), filled(20000, 4)]
    const out = await pipe(bodies, lp.encode, lp.decode, collect)
    assert.deepEqual(out, { items: bodies })
  })
})
