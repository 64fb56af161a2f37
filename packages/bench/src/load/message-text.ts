/** Every text the load generator sends is this long (ASCII, so bytes = characters). */
export const TEXT_BYTES = 64

const PADDING = 'x'.repeat(TEXT_BYTES)
const COLON = 0x3a

/**
 * `<publisher>:<seq>:<sent µs>:xxxx…`, padded to TEXT_BYTES. What a subscriber
 * needs for its checks (who sent it, in which order, when) is at the start,
 * as plain digits, so it reads it without decoding anything else.
 */
export function messageText (publisher: number, seq: number, sentMicros: number): string {
  const head = `${publisher}:${seq}:${sentMicros}:`
  return head + PADDING.slice(head.length)
}

/** Where parsed fields land (reused: no allocation per message). */
export interface TextFields {
  publisher: number
  seq: number
  sentMicros: number
}

/** Reads the three numbers at `start` in `bytes`. False if they are not there. */
export function parseTextBytes (bytes: Uint8Array, start: number, end: number, out: TextFields): boolean {
  let i = start
  let field = 0
  let value = 0
  let digits = 0
  while (i < end) {
    const c = bytes[i++]
    if (c === COLON) {
      if (digits === 0) return false
      if (field === 0) out.publisher = value
      else if (field === 1) out.seq = value
      else { out.sentMicros = value; return true }
      field++
      value = 0
      digits = 0
    } else if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30)
      digits++
    } else {
      return false
    }
  }
  return false
}

/** The same, from a string (for clients that hand us strings). */
export function parseTextString (text: string, out: TextFields): boolean {
  let field = 0
  let value = 0
  let digits = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c === COLON) {
      if (digits === 0) return false
      if (field === 0) out.publisher = value
      else if (field === 1) out.seq = value
      else { out.sentMicros = value; return true }
      field++
      value = 0
      digits = 0
    } else if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30)
      digits++
    } else {
      return false
    }
  }
  return false
}
