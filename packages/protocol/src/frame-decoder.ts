import { Uint8ArrayList } from 'uint8arraylist'
import { ErrorCodes, ProtocolError } from './errors.js'
import { DEFAULT_MAX_FRAME_BYTES, MAX_LENGTH_PREFIX_BYTES } from './limits.js'

/** Receives one frame body: `bytes[start, end)`. */
export type FrameVisitor = (bytes: Uint8Array, start: number, end: number) => void

/**
 * Splits a byte stream into frame bodies, synchronously, one chunk at a time.
 *
 * It follows it-length-prefixed's decode (same varint, same checks, zero-copy
 * `Uint8ArrayList` views) but keeps its state between calls, so a whole socket
 * chunk is decoded in one synchronous step and the pipeline pays one async hop
 * per chunk rather than per frame. A length above `maxFrameBytes` is refused
 * from the header, before any of the body is buffered.
 */
export class FrameDecoder {
  private readonly buffer = new Uint8ArrayList()
  private readonly maxFrameBytes: number
  /** Length of the frame whose header was read, or -1 while reading a header. */
  private bodyLength = -1
  /** Set once a bad header was seen; the stream can't be resynchronised after it. */
  error: ProtocolError | undefined

  constructor (maxFrameBytes = DEFAULT_MAX_FRAME_BYTES) {
    this.maxFrameBytes = maxFrameBytes
  }

  /** Bytes held for a frame not yet complete (its header too, until the header is read in full). */
  get bufferedBytes (): number {
    return this.buffer.byteLength
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
   * read it in place), one that spanned chunks is joined once.
   */
  pushEach (chunk: Uint8Array | Uint8ArrayList, visit: FrameVisitor): void {
    if (this.error !== undefined) throw this.error
    if (this.bodyLength < 0 && this.buffer.byteLength === 0 && chunk instanceof Uint8Array) {
      this.scanWhole(chunk, visit)
      return
    }
    this.buffer.append(chunk)
    while (this.error === undefined) {
      if (this.bodyLength < 0 && !this.readHeader()) return
      if (this.buffer.byteLength < this.bodyLength) return
      const body = this.buffer.subarray(0, this.bodyLength)
      this.buffer.consume(this.bodyLength)
      this.bodyLength = -1
      visit(body, 0, body.byteLength)
      if (this.buffer.byteLength > 0) {
        // Past the frame that spanned chunks: read the rest of the chunk in place.
        const rest = this.buffer.subarray()
        this.buffer.consume(rest.byteLength)
        this.scanWhole(rest, visit)
      }
      return
    }
  }

  /**
   * The usual case, nothing carried over from the last chunk: frames are read
   * in place; an incomplete last frame is kept for the next call.
   */
  private scanWhole (chunk: Uint8Array, visit: FrameVisitor): void {
    let offset = 0
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
        break
      }
      if (length > this.maxFrameBytes) {
        this.fail(new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, `frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`))
        return
      }
      if (headerEnd + length > chunk.length) break
      offset = headerEnd + length
      visit(chunk, headerEnd, offset)
    }
    // The start of a frame still coming (its header is read again with the rest).
    if (offset < chunk.length) this.buffer.append(chunk.subarray(offset))
  }

  /** Throws if the stream ended in the middle of a frame. */
  end (): void {
    if (this.error !== undefined) throw this.error
    // A header already read counts too: its frame never came.
    if (this.bodyLength >= 0 || this.buffer.byteLength > 0) {
      throw this.fail(new ProtocolError(ErrorCodes.MALFORMED_FRAME, `stream ended inside a frame (${this.buffer.byteLength} bytes pending)`))
    }
  }

  /** Reads the varint length prefix (LEB128, at most 5 bytes). False while it is incomplete. */
  private readHeader (): boolean {
    const available = this.buffer.byteLength
    let length = 0
    let scale = 1
    for (let i = 0; i < MAX_LENGTH_PREFIX_BYTES && i < available; i++) {
      const byte = this.buffer.get(i)
      length += (byte & 0x7f) * scale
      scale *= 0x80
      if (byte < 0x80) {
        if (length > this.maxFrameBytes) {
          this.fail(new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, `frame of ${length} bytes exceeds the limit of ${this.maxFrameBytes}`))
          return false
        }
        this.buffer.consume(i + 1)
        this.bodyLength = length
        return true
      }
    }
    if (available >= MAX_LENGTH_PREFIX_BYTES) {
      this.fail(new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, 'length prefix longer than any accepted frame size'))
    }
    return false
  }

  private fail (err: ProtocolError): ProtocolError {
    this.error = err
    return err
  }
}
