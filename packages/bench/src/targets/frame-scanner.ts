import { FrameDecoder, MAX_LENGTH_PREFIX_BYTES } from '@chat/protocol'

/** Called for each complete frame body, `bytes[start..end)`. */
export interface FrameHandler {
  /**
   * `bytes` is the socket's chunk (a Buffer) for a frame that lay within it,
   * and a plain Uint8Array (no Buffer methods) for one that spanned chunks.
   */
  frame: (bytes: Uint8Array, start: number, end: number) => void
}

/** The frames are the server's own, so any length a prefix can hold is read. */
const ANY_FRAME_BYTES = 2 ** (7 * MAX_LENGTH_PREFIX_BYTES) - 1

/**
 * Splits a stream of varint length-prefixed frames (PROTOCOL.md §2) for the
 * load generator's hot path, with the protocol's `FrameDecoder.pushEach`:
 * frames are handed as byte ranges of the chunk, with no view or copy per
 * frame, so the generator stays cheaper than the server it measures.
 */
export class FrameScanner {
  private readonly decoder = new FrameDecoder(ANY_FRAME_BYTES)

  /** Throws the decoder's `ProtocolError` if the stream can't be frames (it stays unusable after). */
  push (chunk: Uint8Array, handler: FrameHandler): void {
    this.decoder.pushEach(chunk, (bytes, start, end) => { handler.frame(bytes, start, end) })
    if (this.decoder.error !== undefined) throw this.decoder.error
  }
}
