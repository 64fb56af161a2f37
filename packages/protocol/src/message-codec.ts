import type { Uint8ArrayList } from 'uint8arraylist'
import { ErrorCodes, ProtocolError } from './errors.js'
import type { ClientMessage, ServerMessage } from './messages.js'
import { readAckBytes } from './plain-acks.js'
import { readDecodedMsg, readDecodedSend, readMsgAscii, readMsgAsciiBytes, readSendAscii, readSendAsciiAt, readSendAsciiInPlace } from './plain-frames.js'
import { validateClientMessage, validateServerMessage } from './validate.js'
import { decodeChunk } from './decode-stage.js'
import type { DecodedChunk } from './decode-stage.js'
import type { FrameDecoder } from './frame-decoder.js'

// fatal: invalid UTF-8 is refused instead of being replaced with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Node's Buffer reads a range of bytes as latin1 in one call, with no view and no UTF-8 step; elsewhere the ASCII fast paths are off. */
const latin1Slice = (globalThis as { Buffer?: typeof Buffer }).Buffer?.prototype.latin1Slice

/** A body as one array: a body spanning chunks is joined once. */
function bytesOf (body: Uint8Array | Uint8ArrayList): Uint8Array {
  return body instanceof Uint8Array ? body : body.subarray()
}

/** `bytes[start, end)` -> its text, or a fatal ProtocolError. */
function decodeText (bytes: Uint8Array, start: number, end: number): string {
  try {
    return utf8.decode(start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end))
  } catch {
    throw new ProtocolError(ErrorCodes.INVALID_UTF8, 'frame body is not valid UTF-8')
  }
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new ProtocolError(ErrorCodes.MALFORMED_FRAME, 'frame body is not valid JSON')
  }
}

// Every frame starts `{"type":"`: its type name starts at byte 9.
const TYPE_AT = 9

/** True if `bytes[start, end)` starts `{"type":"<name>"`, judged from the name's bytes. */
function typeIs (bytes: Uint8Array, start: number, end: number, name: string): boolean {
  if (end - start < TYPE_AT + name.length + 1 || bytes[start + TYPE_AT + name.length] !== 0x22) return false
  for (let i = 0; i < name.length; i++) if (bytes[start + TYPE_AT + i] !== name.charCodeAt(i)) return false
  return true
}

/** The fast path of one side: the frame type it reads, the readers, and the general check. */
interface FastPath<T> {
  type: string
  /** Reads the body taken as latin1 (`latin1` is `bytes[start, end)`); answers only when it is all ASCII. */
  ascii: (latin1: string, bytes: Uint8Array, start: number, end: number) => T | undefined
  /** Reads the body decoded from UTF-8 (fatal decoder: never a lone surrogate). */
  plain: (text: string) => T | undefined
  validate: (value: unknown) => T
}

const CLIENT_PATH: FastPath<ClientMessage> = { type: 'send', ascii: readSendAscii, plain: readDecodedSend, validate: validateClientMessage }
// Written out, not spread from CLIENT_PATH: a bundler keeps a spread (it may run getters), and with it the client side's tables in a browser SDK.
const CLIENT_PATH_IN_PLACE: FastPath<ClientMessage> = { type: 'send', ascii: readSendAsciiInPlace, plain: readDecodedSend, validate: validateClientMessage }
const SERVER_PATH: FastPath<ServerMessage> = { type: 'msg', ascii: readMsgAsciiBytes, plain: readDecodedMsg, validate: validateServerMessage }

function decodeWith<T> (path: FastPath<T>, body: Uint8Array | Uint8ArrayList, start: number, end: number | undefined): T {
  const bytes = bytesOf(body)
  end ??= bytes.length
  if (latin1Slice !== undefined && typeIs(bytes, start, end, path.type)) {
    const fast = path.ascii(latin1Slice.call(bytes, start, end), bytes, start, end)
    if (fast !== undefined) return fast
  }
  const text = decodeText(bytes, start, end)
  return path.plain(text) ?? path.validate(parseJson(text))
}

/**
 * Decodes one frame body sent by a client (used by servers): all of `body`,
 * or `body[start, end)`. Sends, most of the traffic, take a fast path: as
 * latin1 when all ASCII, else after UTF-8 decoding (plain-frames.ts).
 */
export function decodeClientMessage (body: Uint8Array | Uint8ArrayList, start = 0, end?: number): ClientMessage {
  return decodeWith(CLIENT_PATH, body, start, end)
}

/** The chunk `decodeClientChunkInPlace` is reading, and its latin1 string once a send needed it. */
let chunkBytes: Uint8Array | undefined
let chunkLatin1: string | undefined

/** `decodeClientMessageInPlace`, a send read from the chunk's latin1 string when the body lies in the chunk being read. */
function decodeInChunk (bytes: Uint8Array, start: number, end: number): ClientMessage {
  if (bytes === chunkBytes && latin1Slice !== undefined && typeIs(bytes, start, end, 'send')) {
    chunkLatin1 ??= latin1Slice.call(bytes, 0, bytes.length) as string
    const fast = readSendAsciiAt(chunkLatin1, start, bytes, start, end)
    if (fast !== undefined) return fast
  }
  return decodeClientMessageInPlace(bytes, start, end)
}

/**
 * One chunk of a client's frames, framed and decoded as `decodeChunk` with
 * `decodeClientMessageInPlace` does, but the chunk is taken as a latin1
 * string once for all its sends, rather than a string per frame (the
 * string is forgotten when the call returns: the chunk may be reused).
 */
export function decodeClientChunkInPlace (frames: FrameDecoder, chunk: Uint8Array): DecodedChunk<ClientMessage> {
  chunkBytes = chunk
  try {
    return decodeChunk(frames, chunk, decodeInChunk)
  } finally {
    chunkBytes = chunkLatin1 = undefined
  }
}

/**
 * `decodeClientMessage` for a server that copies a plain text's bytes into
 * the frames it sends: an ASCII `send` read on the fast path is a
 * `SendInPlace` (the same fields, and where its text's literal lies in
 * `body`). Everything else is exactly what `decodeClientMessage` returns.
 */
export function decodeClientMessageInPlace (body: Uint8Array | Uint8ArrayList, start = 0, end?: number): ClientMessage {
  return decodeWith(CLIENT_PATH_IN_PLACE, body, start, end)
}

/**
 * Decodes one frame body sent by a server (used by clients), like `decodeClientMessage`; live messages take the fast path,
 * and acks (the reply to every send) one of their own, read from their bytes (plain-acks.ts).
 */
export function decodeServerMessage (body: Uint8Array | Uint8ArrayList, start = 0, end?: number): ServerMessage {
  // One byte tells an ack (`{"type":"a…`) from the rest: a live message pays one comparison.
  if (body instanceof Uint8Array && body[start + TYPE_AT] === 0x61) {
    const ack = readAckBytes(body, start, end ?? body.length)
    if (ack !== undefined) return ack
  }
  return decodeWith(SERVER_PATH, body, start, end)
}
