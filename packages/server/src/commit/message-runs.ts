import { MAX_RUN_BYTES } from '@chat/protocol'
import { varintLength, writeVarint } from '@chat/protocol/fast'
import type { StoredMessage } from '../store/store.js'
import { viewOf } from '../copy-ascii.js'
import { DecimalScratch, latin1Bytes } from './decimal-scratch.js'
import type { FramedMessage } from './message-frame.js'
import { LiteralWriter } from './message-frame.js'

const HEAD = latin1Bytes('{"type":"msgs","room":"')
/** `","id":<id>,"rows":[`: the first id, between its fixed bytes. */
const FIRST_ID = new DecimalScratch(latin1Bytes('","id":'), latin1Bytes(',"rows":['))
/** `,<ts>]`: a row's timestamp and its end. */
const ROW_TS = new DecimalScratch(latin1Bytes(','), latin1Bytes(']'))
const ROW_OPEN = latin1Bytes('["')
const ROW_CLOSE = 0x5d // ]
const COMMA = 0x2c
const QUOTE_COMMA = latin1Bytes('",')
const TAIL = latin1Bytes(']}')
/** `{"type":"msgs","room":"","id":,"rows":[]}` less its values. */
const FIXED_BYTES = HEAD.length + '","id":,"rows":['.length + TAIL.length
/** `["",]`: a row less its sender, text and timestamp. */
const ROW_FIXED = ROW_OPEN.length + QUOTE_COMMA.length + 1

function digitsOf (n: number): number {
  let digits = 1
  while (n >= 10) {
    n = Math.floor(n / 10)
    digits++
  }
  return digits
}

/** Where each run starts in the list and how long its body is. */
interface RunPlan {
  starts: number[]
  bodies: number[]
}

/** A row's bytes, the comma before it not counted. */
function rowBytes (message: StoredMessage, text: number, withTs: boolean): number {
  return ROW_FIXED + message.from.length + text + (withTs ? 1 + digitsOf(message.ts) : 0)
}

function plan (room: string, messages: readonly FramedMessage[], limit: number): RunPlan {
  const starts: number[] = []
  const bodies: number[] = []
  let body = 0
  let lastId = -2
  let lastTs = -1
  for (let i = 0; i < messages.length; i++) {
    const { message, encoded } = messages[i]
    const row = rowBytes(message, encoded.length, message.ts !== lastTs)
    // A run is consecutive ids: a gap (or the limit) starts the next one, whose first row has its ts.
    if (message.id !== lastId + 1 || body + 1 + row > limit) {
      if (starts.length > 0) bodies.push(body)
      starts.push(i)
      body = FIXED_BYTES + room.length + digitsOf(message.id) + rowBytes(message, encoded.length, true)
    } else {
      body += 1 + row
    }
    lastId = message.id
    lastTs = message.ts
  }
  if (starts.length > 0) bodies.push(body)
  return { starts, bodies }
}

/** The bytes of the senders' rows' start (`["<from>",`), kept by name across commits. */
class RowHeads {
  private readonly heads = new Map<string, Uint8Array>()
  private lastName = ''
  private last: Uint8Array = ROW_OPEN

  of (from: string): Uint8Array {
    if (from === this.lastName) return this.last
    let head = this.heads.get(from)
    if (head === undefined) {
      if (this.heads.size >= 4096) this.heads.clear()
      // User names are checked names: ASCII, nothing to escape.
      this.heads.set(from, head = latin1Bytes(`["${from}",`))
    }
    this.lastName = from
    this.last = head
    return head
  }
}

const rowHeads = new RowHeads()

/**
 * One room's messages of a commit as `msgs` runs (PROTOCOL.md §10), in one
 * buffer: consecutive ids per run, a row's timestamp only where it changes,
 * each run at most `MAX_RUN_BYTES` (or `maxFrameBytes`): the reader decodes a
 * run at once, so a commit of thousands of messages goes as several runs, not
 * one frame of megabytes. The texts' literals go in as `messageFrames` copies
 * them. A run of one message is smaller than its `msg` frame, so whatever
 * intake let through fits.
 */
export function messageRunFrames (room: string, messages: readonly FramedMessage[], maxFrameBytes: number): Buffer {
  const { starts, bodies } = plan(room, messages, Math.min(MAX_RUN_BYTES, maxFrameBytes))
  let total = 0
  for (const body of bodies) total += varintLength(body) + body
  const out = Buffer.allocUnsafe(total)
  const to = viewOf(out)
  const literals = new LiteralWriter(out, to)
  let at = 0
  for (let r = 0; r < starts.length; r++) {
    const end = r + 1 < starts.length ? starts[r + 1] : messages.length
    at = writeVarint(out, at, bodies[r])
    out.set(HEAD, at)
    at += HEAD.length
    at += out.write(room, at, 'latin1')
    at = FIRST_ID.copyTo(messages[starts[r]].message.id, out, to, at)
    let lastTs = -1
    for (let i = starts[r]; i < end; i++) {
      const { message, encoded } = messages[i]
      if (i > starts[r]) out[at++] = COMMA
      const head = rowHeads.of(message.from)
      for (let k = 0; k < head.length; k++) out[at + k] = head[k]
      at += head.length
      at = literals.write(encoded, at)
      if (message.ts !== lastTs) {
        at = ROW_TS.copyTo(message.ts, out, to, at)
        lastTs = message.ts
      } else {
        out[at++] = ROW_CLOSE
      }
    }
    out[at++] = TAIL[0]
    out[at++] = TAIL[1]
  }
  if (at !== total) throw new Error(`message runs: wrote ${at} bytes of ${total} planned`)
  return out
}
