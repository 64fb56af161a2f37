import type { Uint8ArrayList } from 'uint8arraylist'
import { ProtocolError } from './errors.js'
import { FrameDecoder } from './frame-decoder.js'
import { DEFAULT_MAX_FRAME_BYTES } from './limits.js'

/** One decoded chunk: messages in wire order, with refused (non-fatal) messages in place as errors. */
export type DecodedBatch<T> = Array<T | ProtocolError>

export interface DecodeStageOptions {
  /** Largest frame body accepted; larger lengths fail before the body is buffered. */
  maxFrameBytes?: number
  /** Called for every chunk received, complete frame or not (liveness: a large frame uploading slowly is still traffic). */
  onChunk?: () => void
  /** Called when the source has ended, before checking that it did not end inside a frame. */
  onEnd?: () => void
}

/** Decodes one frame body, `bytes[start, end)` (`decodeClientMessage`, `decodeServerMessage`). */
export type BodyDecoder<T> = (bytes: Uint8Array, start: number, end: number) => T

/** One chunk's messages, and the fatal error that ends the stream after them, if any. */
export interface DecodedChunk<T> {
  batch: DecodedBatch<T>
  fatal: ProtocolError | undefined
}

/**
 * Frames and decodes one chunk, synchronously. A message that is well framed
 * but invalid stays in the batch as a `ProtocolError`; a framing, UTF-8 or
 * JSON error is returned as `fatal`, after the messages before it. Used by
 * `decodeStage`, and directly by callers that read a socket with callbacks.
 */
export function decodeChunk<T> (frames: FrameDecoder, chunk: Uint8Array | Uint8ArrayList, decodeBody: BodyDecoder<T>): DecodedChunk<T> {
  const batch: DecodedBatch<T> = []
  let fatal: ProtocolError | undefined
  frames.pushEach(chunk, (bytes, start, end) => {
    if (fatal !== undefined) return // the stream is unusable past it
    try {
      batch.push(decodeBody(bytes, start, end))
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err
      if (err.fatal) fatal = err
      else batch.push(err)
    }
  })
  return { batch, fatal: fatal ?? frames.error }
}

/**
 * An it-pipe stage: socket chunks in, batches of typed messages out.
 *
 * Each chunk is framed and decoded synchronously, so the pipeline pays one
 * async hop per chunk. A message that is well framed but invalid (unknown
 * type, bad field) stays in its batch as a `ProtocolError` and the stream
 * carries on; a framing, UTF-8 or JSON error ends the stage by throwing it,
 * after the messages before it were yielded.
 */
export function decodeStage<T> (decodeBody: BodyDecoder<T>, options: DecodeStageOptions = {}) {
  return async function * (source: AsyncIterable<Uint8Array | Uint8ArrayList>): AsyncGenerator<DecodedBatch<T>, void, undefined> {
    const frames = new FrameDecoder(options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES)
    for await (const chunk of source) {
      options.onChunk?.()
      const { batch, fatal } = decodeChunk(frames, chunk, decodeBody)
      if (batch.length > 0) yield batch
      if (fatal !== undefined) throw fatal
    }
    options.onEnd?.()
    frames.end()
  }
}
