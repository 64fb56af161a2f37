import type { Uint8ArrayList } from 'uint8arraylist'
import { ErrorCodes, ProtocolError } from './errors.js'
import { DEFAULT_MAX_FRAME_BYTES, MAX_LENGTH_PREFIX_BYTES } from './limits.js'

/** Receives one frame body: `bytes[start, end)`. */
export type FrameVisitor = (bytes: Uint8Array, start: number, end: number) => void

const EMPTY = new Uint8Array(0)
/** The least a partial frame's buffer grows to: a few small appends cost one allocation. */
const MIN_PARTIAL_CAPACITY = 256

/**
 * Splits a byte stream into frame bodies, synchronously, one chunk at a time.
 *
 * It reads the varint of it-length-prefixed (same checks) but keeps its state
 * between calls, so a whole socket chunk is decoded in one synchronous step
 * and the pipeline pays one async hop per chunk rather than per frame. A
 * length above `maxFrameBytes` is refused from the header, before any of the
 * body is buffered.
 *
 * Frames inside a chunk are handed on in place. The start of a frame still
 * coming is copied into one buffer of the decoder's own, which grows as the
 * frame arrives (doubling, never past the frame's length): an incomplete
 * frame holds at most about twice what arrived of it, however it was cut up,
 * and never the chunks it came in. (Keeping the chunks instead, as a list,
 * cost 140-290 bytes of memory per byte for a frame sent a byte at a time.)
 */
export class FrameDecoder {
  /**
   * Largest frame body accepted. It may be changed between pushes (a server
   * accepts larger frames once a client has logged in); a frame whose header
   * was read already keeps the limit it was read under.
   */
  maxFrameBytes: number
  /** Set once a bad header was seen; the stream can't be resynchronised after it. */
  error: ProtocolError | undefined
  /** The incomplete frame: its header bytes until the header is complete, then its body so far. */
  private partial: Uint8Array = EMPTY
  private partialLength = 0
  /** Length of the frame whose header was read, or -1 while reading a header. */
  private bodyLength = -1

  constructor (maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes
  }

  /** Bytes of the frame not yet complete: its header's while the header is cut, then its body's so far. */
  get bufferedBytes (): number {
    return this.partialLength
  }

  /** Memory held for the incomplete frame, in bytes: at most about twice `bufferedBytes` (or 256), never more than the frame. */
  get retainedBytes (): number {
    return this.partial.byteLength
  }

  /**
   * Appends a chunk and returns the frame bodies it completes (possibly none).
   * On a bad header it returns the frames before it and sets `error`; the next
   * call throws that error.
   */
  push (chunk: Uint8Array | Uint8ArrayList): Uint8Array[] {
    const frames: Uint8Array[] = []
    this.pushEach(chunk, (bytes, start, end) => { frames.push(bytes.subarray(start, end)) })
    return frames
  }

  /**
   * Like `push`, but hands each body to `visit` as a range of bytes: a body
   * inside the chunk is `chunk[start, end)` (no view is made; a decoder can
   * read it in place), one that spanned chunks is the decoder's own copy.
   */
  pushEach (chunk: Uint8Array | Uint8ArrayList, visit: FrameVisitor): void {
    if (this.error !== undefined) throw this.error
    const bytes = chunk instanceof Uint8Array ? chunk : chunk.subarray()
    if (this.bodyLength < 0 && this.partialLength === 0) {
      this.scanWhole(bytes, 0, visit)
      return
    }
    let offset = 0
    // The rest of a header that was cut: at most 5 bytes, taken one at a time.
    while (this.bodyLength < 0) {
      if (offset >= bytes.length) return
      this.append(bytes, offset, offset + 1)
      offset++
      if (!this.readPartialHeader()) {
        if (this.error !== undefined) return
      }
    }
    const missing = this.bodyLength - this.partialLength
    if (bytes.length - offset < missing) {
      this.append(bytes, offset, bytes.length)
      return
    }
    if (this.partialLength === 0) {
      // Only the header was cut off: the body is whole in this chunk, read it in place.
      this.reset()
      visit(bytes, offset, offset + missing)
    } else {
      this.append(bytes, offset, offset + missing)
      const body = this.partial
      const length = this.bodyLength
      // The visitor may keep a view of the body: the next frame gets a buffer of its own.
      this.reset()
      visit(body, 0, length)
    }
    offset += missing
    if (offset < bytes.length) this.scanWhole(bytes, offset, visit)
  }

  /**
   * Nothing carried over: frames are read in place from `offset`; an
   * incomplete last frame is copied (its header read already, if complete).
   */
  private scanWhole (chunk: Uint8Array, offset: number, visit: FrameVisitor): void {
    while (offset < chunk.length) {
      let length = 0
      // A multiplier, not 2 ** (7 * i): V8 calls out for a variable exponent, which cost two thirds of this loop.
      let scale = 1
      let headerEnd = -1
      for (let i = 0; i < MAX_LENGTH_PREFIX_BYTES && offset + i < chunk.length; i++) {
        const byte = chunk[offset + i]
        length += (byte & 0x7f) * scale
        scale *= 0x80
        if (byte < 0x80) {
          headerEnd = offset + i + 1
          break
        }
      }
      if (headerEnd < 0) {
        if (chunk.length - offset >= MAX_LENGTH_PREFIX_BYTES) {
          this.fail(new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, 'length prefix longer than any accepted frame size'))
          return
        }
        // The start of a header: kept until the rest comes.
        this.append(chunk, offset, chunk.length)
        return
      }
      if (length > this.maxFrameBytes) {
        this.fail(new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, `frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`))
        return
      }
      if (headerEnd + length > chunk.length) {
        // The start of a body: its header is read, the body so far is kept.
        this.bodyLength = length
        this.append(chunk, headerEnd, chunk.length)
        return
      }
      offset = headerEnd + length
      visit(chunk, headerEnd, offset)
    }
  }

  /** Throws if the stream ended in the middle of a frame. */
  end (): void {
    if (this.error !== undefined) throw this.error
    // A header already read counts too: its frame never came.
    if (this.bodyLength >= 0 || this.partialLength > 0) {
      throw this.fail(new ProtocolError(ErrorCodes.MALFORMED_FRAME, `stream ended inside a frame (${this.partialLength} bytes pending)`))
    }
  }

  /** Reads the varint held in `partial` (LEB128, at most 5 bytes). False while it is incomplete or bad (then `error` is set). */
  private readPartialHeader (): boolean {
    let length = 0
    let scale = 1
    for (let i = 0; i < this.partialLength; i++) {
      const byte = this.partial[i]
      length += (byte & 0x7f) * scale
      scale *= 0x80
      if (byte < 0x80) {
        if (length > this.maxFrameBytes) {
          this.fail(new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, `frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`))
          return false
        }
        this.bodyLength = length
        this.partialLength = 0
        return true
      }
    }
    if (this.partialLength >= MAX_LENGTH_PREFIX_BYTES) {
      this.fail(new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, 'length prefix longer than any accepted frame size'))
    }
    return false
  }

  /** Copies `bytes[from, to)` after the partial frame, growing its buffer by doubling, up to the frame's length. */
  private append (bytes: Uint8Array, from: number, to: number): void {
    const required = this.partialLength + (to - from)
    if (required > this.partial.byteLength) {
      const limit = this.bodyLength >= 0 ? this.bodyLength : MAX_LENGTH_PREFIX_BYTES
      const grown = new Uint8Array(Math.min(limit, Math.max(required, this.partial.byteLength * 2, MIN_PARTIAL_CAPACITY)))
      grown.set(this.partial.subarray(0, this.partialLength))
      this.partial = grown
    }
    this.partial.set(bytes.subarray(from, to), this.partialLength)
    this.partialLength = required
  }

  private reset (): void {
    this.partial = EMPTY
    this.partialLength = 0
    this.bodyLength = -1
  }

  private fail (err: ProtocolError): ProtocolError {
    this.error = err
    return err
  }
}
