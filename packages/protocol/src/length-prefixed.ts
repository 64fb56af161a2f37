import type { Uint8ArrayList } from 'uint8arraylist'
import { FrameDecoder } from './frame-decoder.js'
import { frameBytes } from './frame-encoder.js'
import { DEFAULT_MAX_FRAME_BYTES } from './limits.js'

/*
 * it-length-prefixed's `encode` and `decode` stages, with this protocol's
 * frame limit and typed errors. The main export offers them as the namespace
 * `lp`, so that code written against `import * as lp from 'it-length-prefixed'`
 * (`pipe(source, lp.encode, sink)`) runs by changing only its import.
 */

type Bytes = Uint8Array | Uint8ArrayList

export interface LengthPrefixedOptions {
  /** Largest frame body, in bytes; default `DEFAULT_MAX_FRAME_BYTES` (64 KiB, where it-length-prefixed has 4 MiB). */
  maxFrameBytes?: number
  /** it-length-prefixed's name for `maxFrameBytes`, so its options carry over. `maxFrameBytes` wins if both are set. */
  maxDataLength?: number
}

function limitOf (options: LengthPrefixedOptions | undefined): number {
  return options?.maxFrameBytes ?? options?.maxDataLength ?? DEFAULT_MAX_FRAME_BYTES
}

function isAsync<T> (source: Iterable<T> | AsyncIterable<T>): source is AsyncIterable<T> {
  return (source as Partial<AsyncIterable<T>>)[Symbol.asyncIterator] !== undefined
}

/**
 * Frame bodies in, framed bytes out: one buffer per frame, prefix and body
 * together (it-length-prefixed yields them as two; one write is cheaper).
 * A body over the limit throws `frame_too_large` after the frames before it.
 * A sync source gives a sync generator, an async one an async generator.
 */
export function encode (source: Iterable<Bytes>, options?: LengthPrefixedOptions): Generator<Uint8Array, void, undefined>
export function encode (source: AsyncIterable<Bytes>, options?: LengthPrefixedOptions): AsyncGenerator<Uint8Array, void, undefined>
export function encode (source: Iterable<Bytes> | AsyncIterable<Bytes>, options?: LengthPrefixedOptions): Generator<Uint8Array, void, undefined> | AsyncGenerator<Uint8Array, void, undefined>
export function encode (source: Iterable<Bytes> | AsyncIterable<Bytes>, options?: LengthPrefixedOptions): Generator<Uint8Array, void, undefined> | AsyncGenerator<Uint8Array, void, undefined> {
  const max = limitOf(options)
  if (isAsync(source)) {
    return (async function * () {
      for await (const body of source) yield frameBytes(body, max)
    })()
  }
  return (function * () {
    for (const body of source) yield frameBytes(body, max)
  })()
}

/**
 * Byte chunks in, frame bodies out, whatever the chunking (`FrameDecoder`).
 * A body is a `Uint8Array`: a view of its chunk, or joined once if it spanned
 * chunks (it-length-prefixed yields a `Uint8ArrayList`; `.slice()`,
 * `.subarray()` and `.byteLength` work on both). A length over the limit
 * throws `frame_too_large`, from the prefix alone, after the bodies before it;
 * a stream that ends inside a frame throws `malformed_frame`.
 * A sync source gives a sync generator, an async one an async generator.
 */
export function decode (source: Iterable<Bytes>, options?: LengthPrefixedOptions): Generator<Uint8Array, void, undefined>
export function decode (source: AsyncIterable<Bytes>, options?: LengthPrefixedOptions): AsyncGenerator<Uint8Array, void, undefined>
export function decode (source: Iterable<Bytes> | AsyncIterable<Bytes>, options?: LengthPrefixedOptions): Generator<Uint8Array, void, undefined> | AsyncGenerator<Uint8Array, void, undefined>
export function decode (source: Iterable<Bytes> | AsyncIterable<Bytes>, options?: LengthPrefixedOptions): Generator<Uint8Array, void, undefined> | AsyncGenerator<Uint8Array, void, undefined> {
  const frames = new FrameDecoder(limitOf(options))
  if (isAsync(source)) {
    return (async function * () {
      for await (const chunk of source) yield * bodiesOf(frames, chunk)
      frames.end()
    })()
  }
  return (function * () {
    for (const chunk of source) yield * bodiesOf(frames, chunk)
    frames.end()
  })()
}

/** The bodies a chunk completes, then the decoder's error if the chunk held a bad header. */
function * bodiesOf (frames: FrameDecoder, chunk: Bytes): Generator<Uint8Array, void, undefined> {
  yield * frames.push(chunk)
  if (frames.error !== undefined) throw frames.error
}
