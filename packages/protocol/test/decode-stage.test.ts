import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { pipe } from 'it-pipe'
import { Uint8ArrayList } from 'uint8arraylist'
import { decodeClientMessage, decodeStage, encodeFrame, ErrorCodes, frameBytes, ProtocolError } from '../src/index.js'
import type { ClientMessage, DecodedBatch } from '../src/index.js'

const utf8 = new TextEncoder()

function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const part of parts) { out.set(part, offset); offset += part.byteLength }
  return out
}

function rawFrame (text: string): Uint8Array {
  return frameBytes(utf8.encode(text))
}

/** An async source that records how many chunks were pulled from it. */
function source (chunks: Array<Uint8Array | Uint8ArrayList>): { chunks: AsyncIterable<Uint8Array | Uint8ArrayList>, pulled: () => number } {
  let pulled = 0
  return {
    chunks: (async function * () {
      for (const chunk of chunks) { pulled++; yield chunk }
    })(),
    pulled: () => pulled
  }
}

interface Outcome { batches: Array<DecodedBatch<ClientMessage>>, error?: unknown }

/** Runs the stage over the chunks and collects every batch, and the error that ended it, if any. */
async function run (chunks: Array<Uint8Array | Uint8ArrayList>, maxFrameBytes?: number): Promise<Outcome> {
  const batches: Array<DecodedBatch<ClientMessage>> = []
  try {
    await pipe(source(chunks).chunks, decodeStage(decodeClientMessage, { maxFrameBytes }), async stream => {
      for await (const batch of stream) batches.push(batch)
    })
  } catch (error) {
    return { batches, error }
  }
  return { batches }
}

const ping = (n: number): ClientMessage => ({ type: 'ping', n })

describe('decodeStage', () => {
  it('yields one batch per chunk, with every message that chunk completes, in order', async () => {
    const c = encodeFrame(ping(3))
    const { batches, error } = await run([
      concat(encodeFrame(ping(1)), encodeFrame(ping(2))),
      c.subarray(0, 3), // completes nothing: no empty batch
      concat(c.subarray(3), encodeFrame(ping(4)), encodeFrame(ping(5)))
    ])
    assert.equal(error, undefined)
    assert.deepEqual(batches, [[ping(1), ping(2)], [ping(3), ping(4), ping(5)]])
  })

  it('accepts Uint8ArrayList chunks', async () => {
    const frame = encodeFrame({ type: 'join', req: 1, room: 'general' })
    const { batches } = await run([new Uint8ArrayList(frame.subarray(0, 4), frame.subarray(4))])
    assert.deepEqual(batches, [[{ type: 'join', req: 1, room: 'general' }]])
  })

  it('keeps a refused (non-fatal) message in place in its batch, and the stream carries on', async () => {
    const { batches, error } = await run([
      concat(encodeFrame(ping(1)), rawFrame('{"type":"teleport","req":7}'), rawFrame('{"type":"join","req":8}'), encodeFrame(ping(2))),
      concat(rawFrame('[]'), encodeFrame(ping(3)))
    ])
    assert.equal(error, undefined)
    assert.equal(batches.length, 2)
    const [first, second] = batches
    assert.equal(first.length, 4)
    assert.deepEqual(first[0], ping(1))
    assert.ok(first[1] instanceof ProtocolError)
    assert.equal(first[1].code, ErrorCodes.UNKNOWN_TYPE)
    assert.equal(first[1].req, 7)
    assert.ok(first[2] instanceof ProtocolError)
    assert.equal(first[2].code, ErrorCodes.INVALID_MESSAGE)
    assert.equal(first[2].req, 8)
    assert.deepEqual(first[3], ping(2))
    assert.ok(second[0] instanceof ProtocolError)
    assert.equal(second[0].code, ErrorCodes.INVALID_MESSAGE)
    assert.deepEqual(second[1], ping(3))
  })

  it('throws a fatal body error after yielding the messages before it in the same chunk, and reads no further', async () => {
    const chunks = [
      encodeFrame(ping(1)),
      concat(encodeFrame(ping(2)), rawFrame('{"type":'), encodeFrame(ping(3))),
      encodeFrame(ping(4))
    ]
    const src = source(chunks)
    const batches: Array<DecodedBatch<ClientMessage>> = []
    let error: unknown
    try {
      await pipe(src.chunks, decodeStage(decodeClientMessage), async stream => {
        for await (const batch of stream) batches.push(batch)
      })
    } catch (err) {
      error = err
    }
    assert.deepEqual(batches, [[ping(1)], [ping(2)]], 'ping 3 follows the bad frame and is dropped')
    assert.ok(error instanceof ProtocolError)
    assert.equal(error.code, ErrorCodes.MALFORMED_FRAME)
    assert.equal(error.fatal, true)
    assert.equal(src.pulled(), 2, 'the chunk after the fatal one is never read')
  })

  it('throws invalid_utf8 as fatal', async () => {
    const { batches, error } = await run([concat(encodeFrame(ping(1)), frameBytes(Uint8Array.from([0x7b, 0xff, 0x7d])))])
    assert.deepEqual(batches, [[ping(1)]])
    assert.ok(error instanceof ProtocolError)
    assert.equal(error.code, ErrorCodes.INVALID_UTF8)
  })

  it('throws frame_too_large from a header after yielding the frames before it', async () => {
    const { batches, error } = await run([concat(encodeFrame(ping(1)), Uint8Array.from([0xff, 0xff, 0x7f]))], 1024)
    assert.deepEqual(batches, [[ping(1)]])
    assert.ok(error instanceof ProtocolError)
    assert.equal(error.code, ErrorCodes.FRAME_TOO_LARGE)
  })

  it('uses maxFrameBytes for the limit', async () => {
    const frame = encodeFrame({ type: 'send', req: 1, room: 'r', text: 'x'.repeat(200) })
    assert.deepEqual((await run([frame], 1024)).error, undefined)
    const { error } = await run([frame], 100)
    assert.ok(error instanceof ProtocolError)
    assert.equal(error.code, ErrorCodes.FRAME_TOO_LARGE)
  })

  it('throws malformed_frame when the stream ends inside a frame', async () => {
    const frame = encodeFrame(ping(2))
    const { batches, error } = await run([concat(encodeFrame(ping(1)), frame.subarray(0, frame.byteLength - 1))])
    assert.deepEqual(batches, [[ping(1)]])
    assert.ok(error instanceof ProtocolError)
    assert.equal(error.code, ErrorCodes.MALFORMED_FRAME)
  })

  it('ends quietly when the stream ends on a frame boundary, including an empty stream', async () => {
    assert.deepEqual(await run([]), { batches: [] })
    assert.deepEqual(await run([encodeFrame(ping(1))]), { batches: [[ping(1)]] })
  })

  it('lets a non-ProtocolError from the body decoder through unchanged', async () => {
    const boom = new TypeError('boom')
    let caught: unknown
    try {
      await pipe(source([encodeFrame(ping(1))]).chunks, decodeStage(() => { throw boom }), async stream => {
        for await (const _ of stream) assert.fail('no batch expected')
      })
    } catch (err) {
      caught = err
    }
    assert.equal(caught, boom)
  })

  it('calls onChunk for every chunk, even one that completes no frame', async () => {
    const frame = encodeFrame(ping(1))
    const events: string[] = []
    await pipe(source([frame.subarray(0, 2), frame.subarray(2, 3), frame.subarray(3)]).chunks,
      decodeStage(decodeClientMessage, { onChunk: () => { events.push('chunk') } }),
      async stream => { for await (const batch of stream) events.push(`batch of ${batch.length}`) })
    assert.deepEqual(events, ['chunk', 'chunk', 'chunk', 'batch of 1'])
  })

  it('calls onEnd when the source ends, before the end-of-stream check throws', async () => {
    let ended = 0
    let error: unknown
    try {
      await pipe(source([encodeFrame(ping(1)).subarray(0, 3)]).chunks,
        decodeStage(decodeClientMessage, { onEnd: () => { ended++ } }),
        async stream => { for await (const _ of stream) assert.fail('no complete frame') })
    } catch (err) {
      error = err
    }
    assert.equal(ended, 1)
    assert.ok(error instanceof ProtocolError)
    assert.equal(error.code, ErrorCodes.MALFORMED_FRAME)
  })

  it('does not call onEnd when a fatal error ends the stage', async () => {
    let ended = 0
    const { error } = await (async () => {
      try {
        await pipe(source([rawFrame('nope')]).chunks, decodeStage(decodeClientMessage, { onEnd: () => { ended++ } }), async stream => {
          for await (const _ of stream) assert.fail('no batch expected')
        })
        return { error: undefined }
      } catch (err) {
        return { error: err }
      }
    })()
    assert.ok(error instanceof ProtocolError)
    assert.equal(ended, 0)
  })
})
