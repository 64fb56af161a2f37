import type { SendMessage } from './messages.js'

/**
 * A fast path for the frame a server reads most: `send`, as clients write it
 * (`{"type":"send",` then `req`, `room`, `text` and an optional `key`, in any
 * order, with plain strings). It reads the decoded text with string scans
 * instead of JSON.parse + validation, which cost several times more. Anything
 * else (an escape, whitespace, another field, a repeated one...) returns
 * undefined and takes the general path; when it returns a message, JSON.parse
 * + validation would have returned the same (the property tests check this).
 */
export function readSend (json: string): SendMessage | undefined {
  if (!json.startsWith(SEND_PREFIX)) return undefined
  const end = json.length - 1
  if (json.charCodeAt(end) !== CLOSE) return undefined
  let req: number | undefined
  let room: string | undefined
  let text: string | undefined
  let key: string | undefined
  let i = SEND_PREFIX.length
  while (i < end) {
    if (json.charCodeAt(i) !== COMMA || json.charCodeAt(i + 1) !== QUOTE) return undefined
    i += 2
    if (json.startsWith('req":', i)) {
      if (req !== undefined) return undefined
      i += 5
      const start = i
      let value = 0
      for (let c = json.charCodeAt(i); c >= ZERO && c <= NINE; c = json.charCodeAt(++i)) value = value * 10 + c - ZERO
      const digits = i - start
      // Leading zeros are invalid JSON; longer numbers may not be exact.
      if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && json.charCodeAt(start) === ZERO)) return undefined
      req = value
      continue
    }
    let field: 'room' | 'text' | 'key'
    if (json.startsWith('room":"', i)) { field = 'room'; i += 7 } else if (json.startsWith('text":"', i)) { field = 'text'; i += 7 } else if (json.startsWith('key":"', i)) { field = 'key'; i += 6 } else return undefined
    const start = i
    for (let c = json.charCodeAt(i); c !== QUOTE; c = json.charCodeAt(++i)) {
      // An escape needs JSON.parse; a raw control character is invalid JSON; NaN is past the end.
      if (c === BACKSLASH || c < SPACE || Number.isNaN(c)) return undefined
    }
    const value = json.slice(start, i)
    i++
    if (field === 'room') {
      if (room !== undefined) return undefined
      room = value
    } else if (field === 'text') {
      if (text !== undefined) return undefined
      text = value
    } else {
      if (key !== undefined) return undefined
      key = value
    }
  }
  if (i !== end || req === undefined || room === undefined || text === undefined) return undefined
  return key === undefined ? { type: 'send', req, room, text } : { type: 'send', req, room, text, key }
}

const SEND_PREFIX = '{"type":"send"'
const MAX_DIGITS = 15
const QUOTE = 0x22
const BACKSLASH = 0x5c
const COMMA = 0x2c
const CLOSE = 0x7d
const ZERO = 0x30
const NINE = 0x39
const SPACE = 0x20
