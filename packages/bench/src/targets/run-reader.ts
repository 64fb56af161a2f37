import type { TextFields } from '../load/message-text.js'
import { parseTextBytes, TEXT_BYTES } from '../load/message-text.js'

const QUOTE = 0x22
const COMMA = 0x2c
const OPEN = 0x5b // [
const CLOSE = 0x5d // ]
const BACKSLASH = 0x5c
const ROWS_KEY = '"rows":['

/** Where `"rows":[` ends in `bytes[from, end)`, or -1. */
function rowsStart (bytes: Uint8Array, from: number, end: number): number {
  for (let i = from; i + ROWS_KEY.length <= end; i++) {
    let k = 0
    while (k < ROWS_KEY.length && bytes[i + k] === ROWS_KEY.charCodeAt(k)) k++
    if (k === ROWS_KEY.length) return i + k
  }
  return -1
}

/** Where the string whose first byte is at `at` ends (its closing quote), or -1. */
function stringEnd (bytes: Uint8Array, at: number, end: number): number {
  for (let i = at; i < end; i++) {
    const c = bytes[i]
    if (c === QUOTE) return i
    if (c === BACKSLASH) i++
  }
  return -1
}

/**
 * The texts of a `msgs` run (PROTOCOL.md §10) read in place, for the load
 * generator's hot path: each row's text handed to `message` once its leading
 * numbers are read. A bench text is `TEXT_BYTES` long with nothing escaped,
 * so its end is looked for there first. False if the body is not laid out as
 * the server writes it (nothing handed over), or a text is not a bench text
 * (those before it were): either way the connection has failed.
 */
export function readRunTexts (bytes: Uint8Array, start: number, end: number, fields: TextFields, message: (fields: TextFields) => void): boolean {
  let i = rowsStart(bytes, start, end)
  if (i < 0) return false
  const texts: number[] = []
  for (;;) {
    if (bytes[i] !== OPEN || bytes[i + 1] !== QUOTE) return false
    const fromEnd = stringEnd(bytes, i + 2, end)
    if (fromEnd < 0 || bytes[fromEnd + 1] !== COMMA || bytes[fromEnd + 2] !== QUOTE) return false
    const text = fromEnd + 3
    let textEnd = text + TEXT_BYTES
    if (bytes[textEnd] !== QUOTE || bytes[textEnd - 1] === BACKSLASH) textEnd = stringEnd(bytes, text, end)
    if (textEnd < 0) return false
    texts.push(text, textEnd)
    i = textEnd + 1
    if (bytes[i] === COMMA) {
      i++
      while (i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39) i++
    }
    if (bytes[i] !== CLOSE) return false
    i++
    if (bytes[i] === CLOSE) break
    if (bytes[i] !== COMMA) return false
    i++
  }
  // Laid out as expected: every text is a bench text, or the run is refused as a whole below.
  for (let t = 0; t < texts.length; t += 2) {
    if (!parseTextBytes(bytes, texts[t], texts[t + 1], fields)) return false
    message(fields)
  }
  return true
}
