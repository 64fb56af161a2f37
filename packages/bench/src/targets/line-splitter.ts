/** Called for each complete line, `bytes[start..end)` without its line ending (CR LF or LF). */
export interface LineHandler {
  line: (bytes: Buffer, start: number, end: number) => void
}

/** Splits a byte stream into lines without copying (a partial last line is kept for the next chunk). */
export class LineSplitter {
  private rest: Buffer | undefined

  push (chunk: Buffer, handler: LineHandler): void {
    let bytes = chunk
    if (this.rest !== undefined) {
      bytes = Buffer.concat([this.rest, chunk])
      this.rest = undefined
    }
    let start = 0
    let newline: number
    while ((newline = bytes.indexOf(10, start)) !== -1) {
      const end = newline > start && bytes[newline - 1] === 13 ? newline - 1 : newline
      handler.line(bytes, start, end)
      start = newline + 1
    }
    if (start < bytes.length) this.rest = bytes.subarray(start)
  }

  /** Bytes of a partial line held back; protocols with binary payloads (NATS) take them from here. */
  takeRest (): Buffer | undefined {
    const rest = this.rest
    this.rest = undefined
    return rest
  }
}
