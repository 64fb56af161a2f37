import { frameJson, frameLatin1 } from '@chat/protocol/fast'
import type { StoredMessage } from '../store/store.js'

/** Printable ASCII without a quote or a backslash (DEL included: JSON leaves it raw). */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7f]*$/

/** Digits of the longest id or timestamp a frame can carry (Number.MAX_SAFE_INTEGER). */
const MAX_NUMBER_DIGITS = 16

/** The fixed part of a msg frame's body: `{"type":"msg","id":…,"room":"…","from":"…","text":…,"ts":…}` less its values. */
const FIXED_BYTES = '{"type":"msg","id":,"":"","from":"","text":,"ts":}'.length

export interface EncodedText {
  /** The text as a JSON string literal, quotes included. */
  json: string
  /** All ASCII: its UTF-8 length is its length, and a frame of it can be a latin1 string. */
  ascii: boolean
}

/**
 * A text as it goes into a frame. A plain ASCII text goes in as it is
 * (JSON.stringify of a 64-character text costs more than the rest of the
 * frame); anything else through JSON.stringify. `textBytes` is its UTF-8 length.
 */
export function encodeText (text: string, textBytes: number): EncodedText {
  const ascii = textBytes === text.length
  return { json: ascii && PLAIN_ASCII.test(text) ? `"${text}"` : JSON.stringify(text), ascii }
}

/**
 * The most bytes a msg frame body of this text can take, whatever its id
 * and timestamp: checked when a message is accepted, before it has an id.
 * Room and user names are checked names (ASCII, nothing to escape).
 */
export function messageBodyBytes (name: string, from: string, text: EncodedText, direct: boolean): number {
  const where = direct ? 'to' : 'room'
  const jsonBytes = text.ascii ? text.json.length : Buffer.byteLength(text.json, 'utf8')
  return FIXED_BYTES + where.length + name.length + from.length + jsonBytes + 2 * MAX_NUMBER_DIGITS
}

/**
 * A `msg` frame built from a template: the same bytes `encodeFrame` makes of
 * the ChatMessage (same fields, same order). An ASCII frame is a latin1
 * string (see `frameLatin1`: the frames of a commit are joined before they
 * become bytes); any other is bytes. Throws `frame_too_large` past
 * `maxFrameBytes` (intake checks `messageBodyBytes` first).
 */
export function messageFrame (message: StoredMessage, text: EncodedText, maxFrameBytes: number): string | Uint8Array {
  const { id, room, from, ts } = message
  const json = room !== undefined
    ? `{"type":"msg","id":${id},"room":"${room}","from":"${from}","text":${text.json},"ts":${ts}}`
    : `{"type":"msg","id":${id},"to":"${message.to!}","from":"${from}","text":${text.json},"ts":${ts}}`
  return text.ascii ? frameLatin1(json, maxFrameBytes) : frameJson(json, maxFrameBytes)
}
