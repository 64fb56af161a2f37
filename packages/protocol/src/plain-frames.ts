import type { ChatMessage, SendMessage } from './messages.js'

/** A JSON string's content with nothing to unescape: no `"`, backslash or control character. */
const PLAIN = '[^"\\\\\\x00-\\x1f]*'
/** The same, ASCII only (DEL included: JSON allows it raw). */
const ASCII = '[\\x20\\x21\\x23-\\x5b\\x5d-\\x7f]*'
/** A JSON number as the reference implementations write ids: no sign, fraction or leading zero, exact. */
const UINT = '(0|[1-9]\\d{0,14})'

function sendPattern (str: string): RegExp {
  return new RegExp(`^\\{"type":"send","req":${UINT},"room":"(${str})","text":"(${str})"(?:,"key":"(${str})")?\\}$`)
}

function msgPattern (str: string): RegExp {
  return new RegExp(`^\\{"type":"msg","id":${UINT},"(room|to)":"(${str})","from":"(${str})","text":"(${str})","ts":${UINT}\\}$`)
}

/**
 * A `send` as clients write it: fields in this order, a plain request id,
 * strings without escapes (no `"`, `\` or control character inside).
 */
const PLAIN_SEND = /* @__PURE__ */ sendPattern(PLAIN)
/** The same, every character ASCII: read from bytes taken as latin1 (see `readSendAscii`). */
const ASCII_SEND = /* @__PURE__ */ sendPattern(ASCII)

/**
 * A fast path for the frame a server reads most. One regular expression
 * (compiled to native code) reads a plain `send` in a fraction of what
 * JSON.parse + validation cost. Anything else (an escape, whitespace,
 * another field or order...) returns undefined and takes the general path;
 * when it returns a message, JSON.parse + validation would have returned the
 * same (the property tests check this).
 */
export function readSend (json: string): SendMessage | undefined {
  // A string not decoded from UTF-8 may hold a lone surrogate, which the general path refuses.
  return json.isWellFormed() ? readDecodedSend(json) : undefined
}

/**
 * `readSend` for text that came out of a fatal UTF-8 decoder, and so is
 * well-formed already (a body with an encoded surrogate is `invalid_utf8`):
 * the decoding pipeline's form, which skips a scan of the whole text.
 */
export function readDecodedSend (utf8Text: string): SendMessage | undefined {
  return sendOf(PLAIN_SEND.exec(utf8Text))
}

/**
 * `readSend` over a body decoded as latin1 (one character per byte, no
 * UTF-8 decoding): it answers only when every character is ASCII, where
 * latin1 and UTF-8 agree; anything else takes the UTF-8 path.
 */
export function readSendAscii (latin1: string): SendMessage | undefined {
  return sendOf(ASCII_SEND.exec(latin1))
}

/** How every `send` the fast path reads starts: the request id's digits follow. */
const SEND_HEAD = '{"type":"send","req":'
/** Between the request id and the room name, and between the room name and the text's opening quote. */
const BEFORE_ROOM = ',"room":"'
const BEFORE_TEXT = '","text":'

/**
 * A `send` read in place: the message, and where its text lies in the
 * bytes it came in. The text is plain ASCII (no quote, backslash or
 * control character), so its JSON string literal, quotes included, is
 * `bytes[textAt, textAt + text.length + 2)` as it came, the same bytes
 * `JSON.stringify(text)` makes: a server can copy them into the frames it
 * sends without encoding the text again.
 */
export interface SendInPlace extends SendMessage {
  readonly bytes: Uint8Array
  readonly textAt: number
}

/** `ASCII_SEND` capturing its strings only, and sticky: it reads a body where it starts in a longer string (a chunk taken as latin1). */
const ASCII_SEND_AT = /* @__PURE__ */ stickySendPattern(ASCII)

// A function, so that a bundle leaves the pattern out with its readers (a template at the top level counts as a side effect).
function stickySendPattern (str: string): RegExp {
  return new RegExp(`\\{"type":"send","req":(?:0|[1-9]\\d{0,14}),"room":"(${str})","text":"(${str})"(?:,"key":"(${str})")?\\}`, 'y')
}

/**
 * `readSendAscii` for a body that is `bytes[start, end)` (given also as
 * `latin1`), saying where the text's literal is (`SendInPlace`). Answers
 * exactly when `readSendAscii` does, with the same fields besides.
 */
export function readSendAsciiInPlace (latin1: string, bytes: Uint8Array, start: number, end: number): SendInPlace | undefined {
  return readSendAsciiAt(latin1, 0, bytes, start, end)
}

/**
 * `readSendAsciiInPlace` where `latin1` holds the body from `at` on (a whole
 * chunk taken as latin1 once: `at` is then `start`). The request id is read
 * from its digits' bytes.
 */
export function readSendAsciiAt (latin1: string, at: number, bytes: Uint8Array, start: number, end: number): SendInPlace | undefined {
  ASCII_SEND_AT.lastIndex = at
  const match = ASCII_SEND_AT.exec(latin1)
  // The body must end where the match does.
  if (match === null || ASCII_SEND_AT.lastIndex - at !== end - start) return undefined
  // The regular expression checked the digits: up to 15, so the number is exact.
  let i = start + SEND_HEAD.length
  let req = 0
  for (let c = bytes[i]; c !== 0x2c; c = bytes[++i]) req = req * 10 + (c - 0x30)
  const room = match[1]
  const text = match[2]
  const key = match[3]
  // Every character before the text is one byte (the body is ASCII).
  const textAt = i + BEFORE_ROOM.length + room.length + BEFORE_TEXT.length
  return key === undefined
    ? { type: 'send', req, room, text, bytes, textAt }
    : { type: 'send', req, room, text, key, bytes, textAt }
}

function sendOf (match: RegExpExecArray | null): SendMessage | undefined {
  if (match === null) return undefined
  const [, req, room, text, key] = match
  return key === undefined
    ? { type: 'send', req: Number(req), room, text }
    : { type: 'send', req: Number(req), room, text, key }
}

/**
 * A `msg` as the reference server writes it live: fields in this order, the
 * room (or, for a direct message, `to`), plain strings.
 */
const PLAIN_MSG = /* @__PURE__ */ msgPattern(PLAIN)
const ASCII_MSG = /* @__PURE__ */ msgPattern(ASCII)

/**
 * The client's fast path for the frame it reads most, like `readSend` for
 * the server: undefined for anything else (a replayed message, an escape in
 * the text...), which then takes the general path with the same result.
 */
export function readMsg (json: string): ChatMessage | undefined {
  return json.isWellFormed() ? readDecodedMsg(json) : undefined
}

/** `readMsg` for text from a fatal UTF-8 decoder (well-formed already), as `readDecodedSend`. */
export function readDecodedMsg (utf8Text: string): ChatMessage | undefined {
  return msgOf(PLAIN_MSG.exec(utf8Text))
}

/** `readMsg` over a body decoded as latin1, answering only for ASCII (see `readSendAscii`). */
export function readMsgAscii (latin1: string): ChatMessage | undefined {
  return msgOf(ASCII_MSG.exec(latin1))
}

/** How every `msg` the fast path reads starts: the id's digits follow. */
const MSG_HEAD = '{"type":"msg","id":'
/** A `UINT` that captures nothing: the numbers are read from the bytes (see `readMsgAsciiBytes`). */
const UINT_UNCAPTURED = '(?:0|[1-9]\\d{0,14})'
/** `ASCII_MSG` capturing its three strings only. */
const ASCII_MSG_STRINGS = new RegExp(
  `^\\{"type":"msg","id":${UINT_UNCAPTURED},"(?:room|to)":"(${ASCII})","from":"(${ASCII})","text":"(${ASCII})","ts":${UINT_UNCAPTURED}\\}$`
)

/**
 * `readMsgAscii` for a body that is `bytes[start, end)`, given also as
 * `latin1` (the same bytes, one character each): the regular expression
 * checks the frame and captures its strings; the id and the timestamp are
 * read from the digits' bytes, where `Number()` of the captured digits cost
 * about a third of reading a message. Same answers as `readMsgAscii`.
 */
export function readMsgAsciiBytes (latin1: string, bytes: Uint8Array, start: number, end: number): ChatMessage | undefined {
  const match = ASCII_MSG_STRINGS.exec(latin1)
  if (match === null) return undefined
  // The id's digits start right after the head and end at the comma; the regular expression checked them.
  let at = start + MSG_HEAD.length
  let id = 0
  for (let c = bytes[at]; c >= 0x30 && c <= 0x39; c = bytes[++at]) id = id * 10 + (c - 0x30)
  // The timestamp's digits end before the closing brace and start after the colon.
  let from = end - 2
  while (bytes[from] >= 0x30 && bytes[from] <= 0x39) from--
  let ts = 0
  for (let i = from + 1; i < end - 1; i++) ts = ts * 10 + (bytes[i] - 0x30)
  // `,"room":"` or `,"to":"` follows the id.
  return bytes[at + 2] === 0x72
    ? { type: 'msg', id, room: match[1], from: match[2], text: match[3], ts }
    : { type: 'msg', id, to: match[1], from: match[2], text: match[3], ts }
}

function msgOf (match: RegExpExecArray | null): ChatMessage | undefined {
  if (match === null) return undefined
  const [, id, where, name, from, text, ts] = match
  return where === 'room'
    ? { type: 'msg', id: Number(id), room: name, from, text, ts: Number(ts) }
    : { type: 'msg', id: Number(id), to: name, from, text, ts: Number(ts) }
}
