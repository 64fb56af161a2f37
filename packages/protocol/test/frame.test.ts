import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Uint8ArrayList } from 'uint8arraylist'
import {
  DEFAULT_MAX_FRAME_BYTES, encodeFrame, ErrorCodes, FrameDecoder, frameBytes, MAX_LENGTH_PREFIX_BYTES, ProtocolError
} from '../src/index.js'
import type { Message } from '../src/index.js'

const utf8 = new TextEncoder()

function bytes (...values: number[]): Uint8Array {
  return Uint8Array.from(values)
}

function filled (length: number, seed = 0): Uint8Array {
  const body = new Uint8Array(length)
  for (let i = 0; i < length; i++) body[i] = (i * 31 + seed) & 0xff
  return body
}

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const part of parts) { out.set(part, offset); offset += part.byteLength }
  return out
}

/** Pushes every chunk, then ends; returns each body as a plain copy. */
function decodeAll (chunks: Array<Uint8Array | Uint8ArrayList>, maxFrameBytes?: number): Uint8Array[] {
  const decoder = new FrameDecoder(maxFrameBytes)
  const bodies: Uint8Array[] = []
  for (const chunk of chunks) for (const body of decoder.push(chunk)) bodies.push(body.slice())
  decoder.end()
  return bodies
}

/** Reads `error` afresh (a plain property read would stay narrowed after an assertion). */
function errorOf (decoder: FrameDecoder): ProtocolError | undefined {
  return decoder.error
}

function assertProtocolError (fn: () => unknown, code: string): ProtocolError {
  let caught: unknown
  try { fn() } catch (err) { caught = err }
  assert.ok(caught instanceof ProtocolError, `expected a ProtocolError ${code}, got ${String(caught)}`)
  assert.equal(caught.code, code)
  return caught
}

describe('frameBytes', () => {
  it('prefixes the body with its unsigned LEB128 length', () => {
    assert.deepEqual(frameBytes(new Uint8Array(0)), bytes(0x00))
    assert.deepEqual(frameBytes(bytes(0xaa)), bytes(0x01, 0xaa))
    const vectors: Array<[number, number[]]> = [
      [127, [0x7f]],
      [128, [0x80, 0x01]],
      [300, [0xac, 0x02]],
      [16383, [0xff, 0x7f]],
      [16384, [0x80, 0x80, 0x01]],
      [65536, [0x80, 0x80, 0x04]]
    ]
    for (const [length, prefix] of vectors) {
      const body = filled(length)
      const frame = frameBytes(body, 1 << 20)
      assert.deepEqual(frame.subarray(0, prefix.length), Uint8Array.from(prefix), `prefix of a ${length}-byte body`)
      assert.equal(frame.byteLength, prefix.length + length)
      assert.deepEqual(frame.subarray(prefix.length), body)
    }
  })

  it('accepts a body of exactly maxFrameBytes and refuses one byte more', () => {
    assert.equal(frameBytes(filled(100), 100).byteLength, 101)
    const err = assertProtocolError(() => frameBytes(filled(101), 100), ErrorCodes.FRAME_TOO_LARGE)
    assert.equal(err.fatal, true)
  })

  it('defaults to a limit of 64 KiB', () => {
    assert.equal(DEFAULT_MAX_FRAME_BYTES, 65536)
    assert.equal(frameBytes(filled(DEFAULT_MAX_FRAME_BYTES)).byteLength, DEFAULT_MAX_FRAME_BYTES + 3)
    assertProtocolError(() => frameBytes(filled(DEFAULT_MAX_FRAME_BYTES + 1)), ErrorCodes.FRAME_TOO_LARGE)
  })
})

describe('encodeFrame', () => {
  it('frames the UTF-8 JSON of the message', () => {
    const message: Message = { type: 'send', req: 7, room: 'général', text: 'héllo 👋' }
    const frame = encodeFrame(message)
    const json = utf8.encode(JSON.stringify(message))
    // Compared as plain bytes: in Node the frame is a Buffer (a Uint8Array subclass).
    assert.deepEqual(new Uint8Array(frame), concat([bytes(json.byteLength), json]))
  })

  it('refuses a message whose body is larger than maxFrameBytes (the sender fails first)', () => {
    const text = 'x'.repeat(DEFAULT_MAX_FRAME_BYTES)
    const err = assertProtocolError(() => encodeFrame({ type: 'send', req: 1, room: 'r', text }), ErrorCodes.FRAME_TOO_LARGE)
    assert.equal(err.fatal, true)
    // A custom, smaller limit is honoured too.
    const small: Message = { type: 'ping', n: 1 }
    const size = utf8.encode(JSON.stringify(small)).byteLength
    assert.equal(encodeFrame(small, size).byteLength, size + 1)
    assertProtocolError(() => encodeFrame(small, size - 1), ErrorCodes.FRAME_TOO_LARGE)
  })
})

describe('FrameDecoder', () => {
  const bodies = [filled(0), filled(1, 1), filled(127, 2), filled(128, 3), filled(300, 4), filled(20000, 5)]
  const stream = concat(bodies.map(body => frameBytes(body)))

  it('round-trips frames pushed as one chunk', () => {
    assert.deepEqual(decodeAll([stream]), bodies)
  })

  it('round-trips frames split into two chunks at every byte boundary', () => {
    const small = bodies.slice(0, 5)
    const smallStream = concat(small.map(body => frameBytes(body)))
    for (let cut = 0; cut <= smallStream.byteLength; cut++) {
      assert.deepEqual(decodeAll([smallStream.subarray(0, cut), smallStream.subarray(cut)]), small, `cut at ${cut}`)
    }
  })

  it('round-trips frames pushed one byte at a time', () => {
    const chunks: Uint8Array[] = []
    for (let i = 0; i < stream.byteLength; i++) chunks.push(stream.subarray(i, i + 1))
    assert.deepEqual(decodeAll(chunks), bodies)
  })

  it('returns a frame from the push that completes it, and none before', () => {
    const frame = frameBytes(filled(10))
    const decoder = new FrameDecoder()
    assert.deepEqual(decoder.push(frame.subarray(0, 1)), [])
    assert.equal(decoder.bufferedBytes, 0, 'the header is read, nothing of the body came yet')
    assert.deepEqual(decoder.push(frame.subarray(1, 10)), [])
    assert.equal(decoder.bufferedBytes, 9, 'the body so far (the header was read)')
    const done = decoder.push(frame.subarray(10))
    assert.equal(done.length, 1)
    assert.deepEqual(done[0].slice(), filled(10))
    assert.equal(decoder.bufferedBytes, 0)
  })

  it('decodes many frames in one chunk, in order', () => {
    const many = Array.from({ length: 1000 }, (_, i) => utf8.encode(`frame ${i}`))
    const decoder = new FrameDecoder()
    const out = decoder.push(concat(many.map(body => frameBytes(body))))
    assert.equal(out.length, 1000)
    assert.deepEqual(out.map(body => body.slice()), many)
    assert.equal(decoder.bufferedBytes, 0)
    decoder.end()
  })

  it('accepts Uint8ArrayList chunks', () => {
    const list = new Uint8ArrayList(stream.subarray(0, 200), stream.subarray(200, 201), stream.subarray(201))
    assert.deepEqual(decodeAll([list]), bodies)
  })

  it('yields an empty body for a zero-length frame', () => {
    const decoder = new FrameDecoder()
    const out = decoder.push(bytes(0x00, 0x00))
    assert.equal(out.length, 2)
    assert.equal(out[0].byteLength, 0)
    assert.equal(out[1].byteLength, 0)
  })

  it('is zero-copy: a body inside a chunk is a view of the chunk', () => {
    const chunk = concat([frameBytes(bytes(1, 2, 3)), frameBytes(bytes(4, 5, 6))])
    const decoder = new FrameDecoder()
    const [first, second] = decoder.push(chunk)
    for (const view of [first, second]) assert.equal(view.buffer, chunk.buffer, 'a view shares the chunk\'s memory')
    assert.equal(first.byteOffset, chunk.byteOffset + 1)
    assert.equal(second.byteOffset, chunk.byteOffset + 5)
    // Writing to the chunk shows through the body: nothing was copied.
    chunk[1] = 99
    assert.equal(first[0], 99)
  })

  it('keeps reading in place after a frame that spanned chunks', () => {
    const frame = frameBytes(filled(10))
    const next = frameBytes(bytes(7, 8))
    const decoder = new FrameDecoder()
    assert.deepEqual(decoder.push(frame.slice(0, 5)), [])
    const tail = concat([frame.slice(5), next])
    const [body, after] = decoder.push(tail)
    assert.deepEqual(body.slice(), filled(10))
    assert.deepEqual(after.slice(), bytes(7, 8))
    assert.equal(decoder.bufferedBytes, 0)
  })

  it('carries a header split across chunks', () => {
    const frame = frameBytes(filled(300)) // a two-byte header
    const decoder = new FrameDecoder()
    assert.deepEqual(decoder.push(frame.slice(0, 1)), [])
    assert.equal(decoder.bufferedBytes, 1)
    const [body] = decoder.push(frame.slice(1))
    assert.deepEqual(body.slice(), filled(300))
  })

  it('accepts a body of exactly maxFrameBytes', () => {
    assert.deepEqual(decodeAll([frameBytes(filled(50), 50)], 50), [filled(50)])
  })

  it('refuses a too-large length from the header alone, before any of the body arrives', () => {
    const decoder = new FrameDecoder()
    // 2^32 - 1: a 4 GiB frame announced in 5 header bytes, and no body at all.
    const header = bytes(0xff, 0xff, 0xff, 0xff, 0x0f)
    assert.deepEqual(decoder.push(header), [])
    assert.ok(decoder.error instanceof ProtocolError)
    assert.equal(decoder.error.code, ErrorCodes.FRAME_TOO_LARGE)
    assert.equal(decoder.error.fatal, true)
    assert.ok(decoder.bufferedBytes <= MAX_LENGTH_PREFIX_BYTES, `buffered ${decoder.bufferedBytes} bytes`)
    // The stream can't be resynchronised: every later call throws the same error.
    assert.throws(() => decoder.push(filled(1000)), (err: unknown) => err === decoder.error)
    assert.ok(decoder.bufferedBytes <= MAX_LENGTH_PREFIX_BYTES, 'nothing more was buffered')
    assert.throws(() => { decoder.end() }, (err: unknown) => err === decoder.error)
  })

  it('refuses maxFrameBytes + 1 from its 3-byte header', () => {
    const decoder = new FrameDecoder()
    const header = frameBytes(filled(DEFAULT_MAX_FRAME_BYTES + 1), 1 << 20).subarray(0, 3)
    decoder.push(header)
    assert.equal(decoder.error?.code, ErrorCodes.FRAME_TOO_LARGE)
    assert.ok(decoder.bufferedBytes <= 3)
  })

  it('returns the frames before a bad header, then reports the error', () => {
    const decoder = new FrameDecoder(100)
    const chunk = concat([frameBytes(bytes(1)), frameBytes(bytes(2)), bytes(0xe5, 0x00), filled(50)])
    const out = decoder.push(chunk)
    assert.deepEqual(out.map(body => body.slice()), [bytes(1), bytes(2)])
    assert.equal(decoder.error?.code, ErrorCodes.FRAME_TOO_LARGE)
  })

  it('waits on an incomplete prefix and refuses a prefix longer than 5 bytes', () => {
    const decoder = new FrameDecoder()
    assert.deepEqual(decoder.push(bytes(0x80, 0x80, 0x80, 0x80)), [])
    assert.equal(decoder.error, undefined, 'four continuation bytes may still end in a valid length')
    assert.equal(decoder.bufferedBytes, 4)
    decoder.push(bytes(0x80))
    const error = errorOf(decoder)
    assert.equal(error?.code, ErrorCodes.FRAME_TOO_LARGE)
    assert.equal(error?.fatal, true)

    for (const prefix of [[0xff, 0xff, 0xff, 0xff, 0xff, 0x01], [0x80, 0x80, 0x80, 0x80, 0x80, 0x00]]) {
      // The second would be a (non-minimal) zero if read past 5 bytes: it is refused all the same.
      const oneChunk = new FrameDecoder()
      assert.deepEqual(oneChunk.push(Uint8Array.from(prefix)), [])
      assert.equal(oneChunk.error?.code, ErrorCodes.FRAME_TOO_LARGE)
    }
  })

  it('accepts a non-minimal prefix of up to 5 bytes (documented in PROTOCOL.md)', () => {
    // 0x85 0x80 0x00 is 5 with two redundant groups; senders must not produce it.
    assert.deepEqual(decodeAll([bytes(0x85, 0x80, 0x00, 1, 2, 3, 4, 5)]), [bytes(1, 2, 3, 4, 5)])
  })

  it('holds a frame sent a byte at a time in one buffer of about its size, not in the chunks it came in', () => {
    const body = filled(DEFAULT_MAX_FRAME_BYTES, 9)
    const frame = frameBytes(body)
    const decoder = new FrameDecoder()
    for (let i = 0; i < frame.byteLength - 1; i++) {
      assert.deepEqual(decoder.push(frame.slice(i, i + 1)), [])
      const received = Math.max(0, i + 1 - 3)
      assert.ok(decoder.retainedBytes <= Math.max(256, 2 * received), `${decoder.retainedBytes} bytes held for ${received} received`)
    }
    assert.equal(decoder.bufferedBytes, DEFAULT_MAX_FRAME_BYTES - 1)
    assert.equal(decoder.retainedBytes, DEFAULT_MAX_FRAME_BYTES, 'never more than the frame')
    const [last] = decoder.push(frame.slice(frame.byteLength - 1))
    assert.deepEqual(last.slice(), body)
    assert.equal(decoder.retainedBytes, 0, 'nothing held between frames')
  })

  it('keeps a copy of the start of a frame, not the chunk it ended', () => {
    const decoder = new FrameDecoder()
    // A 60 KiB chunk whose last 3 bytes start a frame: holding a view of it would keep all 60 KiB.
    const chunk = concat([frameBytes(filled(60_000)), frameBytes(filled(1000)).subarray(0, 3)])
    assert.equal(decoder.push(chunk).length, 1)
    assert.equal(decoder.bufferedBytes, 1, 'the body so far')
    assert.ok(decoder.retainedBytes <= 256, `${decoder.retainedBytes} bytes held`)
    chunk.fill(0) // the chunk is the transport's to reuse
    const [body] = decoder.push(frameBytes(filled(1000)).subarray(3))
    assert.deepEqual(body.slice(), filled(1000))
  })

  it('applies a changed maxFrameBytes to the frames whose header comes after the change', () => {
    const decoder = new FrameDecoder(100)
    assert.equal(decoder.push(frameBytes(filled(100))).length, 1)
    decoder.maxFrameBytes = 1000
    assert.equal(decoder.push(frameBytes(filled(1000), 1000)).length, 1)
    decoder.maxFrameBytes = 10
    decoder.push(frameBytes(filled(11)).subarray(0, 1))
    assert.equal(decoder.error?.code, ErrorCodes.FRAME_TOO_LARGE)
  })

  it('end() is quiet on a frame boundary', () => {
    const decoder = new FrameDecoder()
    decoder.end()
    decoder.push(frameBytes(bytes(1, 2)))
    decoder.end()
    assert.equal(decoder.error, undefined)
  })

  it('end() inside a prefix or a body throws malformed_frame', () => {
    for (const partial of [bytes(0x80), bytes(0x03, 1), frameBytes(filled(300)).subarray(0, 3), frameBytes(filled(300)).subarray(0, 299)]) {
      const decoder = new FrameDecoder()
      decoder.push(partial)
      const err = assertProtocolError(() => { decoder.end() }, ErrorCodes.MALFORMED_FRAME)
      assert.equal(err.fatal, true)
      assert.equal(decoder.error, err)
      assert.throws(() => decoder.push(bytes(1)), (thrown: unknown) => thrown === err)
    }
  })

  // The header is consumed from the buffer as soon as it is read: end() must still see the missing body.
  it('end() right after a complete length prefix throws malformed_frame', () => {
    for (const header of [bytes(0x03), bytes(0xac, 0x02)]) {
      const decoder = new FrameDecoder()
      assert.deepEqual(decoder.push(header), [])
      assertProtocolError(() => { decoder.end() }, ErrorCodes.MALFORMED_FRAME)
    }
  })
})
