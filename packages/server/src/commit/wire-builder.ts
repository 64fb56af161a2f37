/**
 * Joins frames into one buffer, once. Frames come as bytes, or as latin1
 * strings (one character per byte, see `frameLatin1`): runs of strings are
 * joined as strings and turned into bytes in one step, so a commit's
 * messages cost one allocation per room rather than one per message.
 */
export class WireBuilder {
  private text = ''
  private readonly parts: Uint8Array[] = []
  /** Frames added. */
  count = 0

  add (frame: string | Uint8Array): void {
    this.count++
    if (typeof frame === 'string') {
      this.text += frame
      return
    }
    if (this.text.length > 0) {
      this.parts.push(Buffer.from(this.text, 'latin1'))
      this.text = ''
    }
    this.parts.push(frame)
  }

  /** Everything added, in order, as one buffer. */
  bytes (): Uint8Array {
    if (this.parts.length === 0) return Buffer.from(this.text, 'latin1')
    if (this.text.length > 0) {
      this.parts.push(Buffer.from(this.text, 'latin1'))
      this.text = ''
    }
    return this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts)
  }
}

/** One frame, as bytes. */
export function frameBytesOf (frame: string | Uint8Array): Uint8Array {
  return typeof frame === 'string' ? Buffer.from(frame, 'latin1') : frame
}
