import { ErrorCodes, MAX_LENGTH_PREFIX_BYTES, ProtocolError } from '@chat/protocol'
import { writeVarint } from '@chat/protocol/fast'
import type { StoredMessage, TextBytes } from '../store/store.js'
import { copyAsciiWith, viewOf } from '../copy-ascii.js'
import { DecimalScratch, latin1Bytes } from './decimal-scratch.js'

/** Printable ASCII without a quote or a backslash (DEL included: JSON leaves it raw). */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7f]*$/

/** Digits of the longest id or timestamp a frame can carry (Number.MAX_SAFE_INTEGER). */
const MAX_NUMBER_DIGITS = 16

/** The fixed part of a msg frame's body: `{"type":"msg","id":…,"room":"…","from":"…","text":…,"ts":…}` less its values. */
const FIXED_BYTES = '{"type":"msg","id":,"":"","from":"","text":,"ts":}'.length

/**
 * A text as it goes into a frame: its JSON string literal, quotes included,
 * as a string (`json`) or as the bytes it came in (`bytes`). Also the
 * store's `TextBytes`: with `bytes`, they are the text's UTF-8.
 */
export interface EncodedText extends TextBytes {
  /** The literal, unless `bytes` holds it. */
  json: string | undefined
  /**
   * The text as it came in the sender's `send` frame, plain ASCII, between
   * its literal's quotes: `bytes[start, end)`, and the literal
   * `bytes[start - 1, end + 1)`, copied into frames as it is.
   */
  bytes: Uint8Array | undefined
  start: number
  end: number
  /** The literal's length in bytes (UTF-8). */
  length: number
  /** The literal is all ASCII. */
  ascii: boolean
}

/**
 * A text as it goes into a frame. A plain ASCII text goes in as it is
 * (JSON.stringify of a 64-character text costs more than the rest of the
 * frame); anything else through JSON.stringify. `textBytes` is its UTF-8 length.
 */
export function encodeText (text: string, textBytes: number): EncodedText {
  const ascii = textBytes === text.length
  const json = ascii && PLAIN_ASCII.test(text) ? `"${text}"` : JSON.stringify(text)
  // JSON.stringify of an ASCII text is ASCII (escapes included).
  return { json, bytes: undefined, start: 0, end: 0, length: ascii ? json.length : Buffer.byteLength(json, 'utf8'), ascii }
}

/**
 * A plain ASCII text read in place from a `send` (`SendInPlace`): its
 * literal is `bytes[textAt, textAt + text.length + 2)`, exactly what
 * `encodeText` would make of it, and goes into every frame from there.
 */
export function textInPlace (text: string, bytes: Uint8Array, textAt: number): EncodedText {
  return { json: undefined, bytes, start: textAt + 1, end: textAt + 1 + text.length, length: text.length + 2, ascii: true }
}

/**
 * The most bytes a msg frame body of this text can take, whatever its id
 * and timestamp: checked when a message is accepted, before it has an id.
 * Room and user names are checked names (ASCII, nothing to escape).
 */
export function messageBodyBytes (name: string, from: string, text: EncodedText, direct: boolean): number {
  const where = direct ? 'to' : 'room'
  return FIXED_BYTES + where.length + name.length + from.length + text.length + 2 * MAX_NUMBER_DIGITS
}

/** A message on its way to readers: what a `msg` frame is made of. */
export interface FramedMessage {
  message: StoredMessage
  encoded: EncodedText
}

const HEAD = latin1Bytes('{"type":"msg","id":')
/** A frame's bytes besides its place, sender and text, at the most: the fixed part, `room`, two 16-digit numbers, the longest length prefix. */
const LONGEST_FRAME_EXTRA = FIXED_BYTES + 'room'.length + 2 * MAX_NUMBER_DIGITS + MAX_LENGTH_PREFIX_BYTES
/** `,"ts":<ts>}`, kept from frame to frame (timestamps repeat). */
const tsAndClose = new DecimalScratch(latin1Bytes(',"ts":'), latin1Bytes('}'))

/**
 * A frame's bytes up to its text for one sender and place: `{"type":"msg","id":<id>,"room":"<room>","from":"<from>","text":`
 * (or `"to"`), the id's digits changed in place from one message to the next.
 */
interface Head {
  place: string
  direct: boolean
  from: string
  bytes: DecimalScratch
}

function headOf (message: StoredMessage): Head {
  const direct = message.room === undefined
  const place = direct ? message.to! : message.room!
  // Room and user names are checked names: ASCII, nothing to escape.
  const rest = latin1Bytes(`,"${direct ? 'to' : 'room'}":"${place}","from":"${message.from}","text":`)
  return { place, direct, from: message.from, bytes: new DecimalScratch(HEAD, rest) }
}

function fits (head: Head, message: StoredMessage): boolean {
  return head.from === message.from && (head.direct ? head.place === message.to : head.place === message.room)
}

/** Heads kept from commit to commit (a fan-out's, by sender and place), at most this many: then they are made again. */
const MOST_HEADS = 4096

/** The frame heads of the senders seen lately, kept by the caller across calls of `messageFrames`. */
export class FrameHeads {
  private readonly heads = new Map<string, Head>()
  private last: Head | undefined

  of (message: StoredMessage): Head {
    const last = this.last
    if (last !== undefined && fits(last, message)) return last
    const key = message.room !== undefined ? `${message.from} r ${message.room}` : `${message.from} d ${message.to!}`
    let head = this.heads.get(key)
    if (head === undefined) {
      if (this.heads.size >= MOST_HEADS) this.heads.clear()
      this.heads.set(key, head = headOf(message))
    }
    this.last = head
    return head
  }
}

/**
 * The `msg` frames of these messages, in order, in one buffer: the same
 * bytes `encodeFrame` makes of each ChatMessage (same fields, same order),
 * copied straight into the buffer in three pieces, in one pass over a buffer
 * with room for each at its longest (no string per frame; a text read in
 * place is copied as it came, not encoded again). Throws
 * `frame_too_large` for a frame past `maxFrameBytes` (intake checks
 * `messageBodyBytes` first).
 */
export function messageFrames (messages: readonly FramedMessage[], maxFrameBytes: number, known: FrameHeads = new FrameHeads()): Buffer {
  // Room for each frame at its longest (16-digit id and timestamp, a 3-byte length): one pass then writes them all.
  let most = 0
  for (let i = 0; i < messages.length; i++) {
    const { message, encoded } = messages[i]
    most += LONGEST_FRAME_EXTRA + (message.room ?? message.to!).length + message.from.length + encoded.length
  }
  const out = Buffer.allocUnsafe(most)
  const to = viewOf(out)
  const literals = new LiteralWriter(out, to)
  let at = 0
  for (let i = 0; i < messages.length; i++) {
    const { message, encoded } = messages[i]
    const head = known.of(message).bytes
    const length = head.set(message.id).length + encoded.length + tsAndClose.set(message.ts).length
    if (length > maxFrameBytes) {
      throw new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, `frame of ${length} bytes exceeds the limit of ${maxFrameBytes}`)
    }
    at = writeVarint(out, at, length)
    at = head.copyTo(message.id, out, to, at)
    at = literals.write(encoded, at)
    at = tsAndClose.copyTo(message.ts, out, to, at)
  }
  return out.subarray(0, at)
}

/**
 * Writes texts' literals, quotes included, into one buffer: one read in
 * place as it came (a DataView of its chunk kept from text to text: a
 * commit's texts come from a few chunks), any other from its string.
 */
export class LiteralWriter {
  private source: Uint8Array | undefined
  private view: DataView | undefined

  constructor (private readonly out: Buffer, private readonly to: DataView) {}

  /** Writes `encoded`'s literal at `at`; returns where it ends. */
  write (encoded: EncodedText, at: number): number {
    const { bytes } = encoded
    if (bytes === undefined) return at + this.out.write(encoded.json!, at, encoded.ascii ? 'latin1' : 'utf8')
    if (bytes !== this.source) {
      this.source = bytes
      this.view = viewOf(bytes)
    }
    return copyAsciiWith(bytes, this.view!, encoded.start - 1, encoded.end + 1, this.out, this.to, at)
  }
}
