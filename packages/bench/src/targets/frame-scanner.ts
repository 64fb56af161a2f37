/** Called for each complete frame body, `bytes[start..end)`. */
export interface FrameHandler {
  frame: (bytes: Buffer, start: number, end: number) => void
}

/**
 * Splits a stream of varint length-prefixed frames (PROTOCOL.md §2) without
 * copying or allocating per frame: the load generator's hot path. The
 * protocol's `FrameDecoder` makes a `Uint8ArrayList` view per frame, which is
 * right for a server and too dear for a generator that must stay cheaper than
 * the server it measures. Frames are trusted (the server under test made them).
 */
export class FrameScanner {
  private rest: Buffer | undefined

  push (chunk: Buffer, handler: FrameHandler): void {
    let bytes = chunk
    if (this.rest !== undefined) {
      bytes = Buffer.concat([this.rest, chunk])
      this.rest = undefined
    }
    const n = bytes.length
    let pos = 0
    while (pos < n) {
      let length = 0
      let scale = 1
      let p = pos
      let complete = false
      while (p < n) {
        const b = bytes[p++]
        length += (b & 0x7f) * scale
        if (b < 0x80) { complete = true; break }
        scale *= 128
      }
      if (!complete || p + length > n) break
      handler.frame(bytes, p, p + length)
      pos = p + length
    }
    if (pos < n) this.rest = bytes.subarray(pos)
  }
}
