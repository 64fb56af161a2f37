import type { AckMessage } from './messages.js'

const HEAD = '{"type":"ack","re":'
const ID = ',"id":'
const TS = ',"ts":'
const STORED = ',"stored":true'
const CLOSE = 0x7d
/** Digits of a plain id, as the fast paths read them (`(0|[1-9]\d{0,14})`): always a safe integer. */
const MAX_DIGITS = 15

/** True if `bytes[at, ...)` holds `ascii` (code units below 0x80). */
function holds (bytes: Uint8Array, at: number, end: number, ascii: string): boolean {
  if (end - at < ascii.length) return false
  for (let i = 0; i < ascii.length; i++) if (bytes[at + i] !== ascii.charCodeAt(i)) return false
  return true
}

/** Where a plain JSON uint at `at` ends, its value in `out.value`; -1 if there is none (a sign, a leading zero, too long). */
function uintAt (bytes: Uint8Array, at: number, end: number, out: { value: number }): number {
  let i = at
  let value = 0
  while (i < end && i - at <= MAX_DIGITS) {
    const c = bytes[i]
    if (c < 0x30 || c > 0x39) break
    value = value * 10 + (c - 0x30)
    i++
  }
  const digits = i - at
  if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && bytes[at] === 0x30)) return -1
  out.value = value
  return i
}

const number = { value: 0 }

/**
 * An `ack` as the reference server writes it (`{"type":"ack","re":…,"id":…,"ts":…}`,
 * then `,"stored":true` for a message kept in an inbox), read from its
 * bytes: no string is made. The client's fast path for the reply to every
 * send: anything else (another order, spaces, `"stored":false`...) returns
 * undefined and takes the general path, which gives the same message
 * (property-tested against JSON.parse + validation).
 */
export function readAckBytes (bytes: Uint8Array, start: number, end: number): AckMessage | undefined {
  if (!holds(bytes, start, end, HEAD)) return undefined
  let at = uintAt(bytes, start + HEAD.length, end, number)
  if (at < 0 || !holds(bytes, at, end, ID)) return undefined
  const re = number.value
  at = uintAt(bytes, at + ID.length, end, number)
  if (at < 0 || !holds(bytes, at, end, TS)) return undefined
  const id = number.value
  at = uintAt(bytes, at + TS.length, end, number)
  if (at < 0) return undefined
  const ts = number.value
  if (at === end - 1 && bytes[at] === CLOSE) return { type: 'ack', re, id, ts }
  if (at === end - STORED.length - 1 && holds(bytes, at, end, STORED) && bytes[end - 1] === CLOSE) return { type: 'ack', re, id, ts, stored: true }
  return undefined
}
