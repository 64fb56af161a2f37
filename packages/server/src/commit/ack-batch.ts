import type { Session } from '../session/session.js'
import { viewOf } from '../copy-ascii.js'
import { DecimalScratch, latin1Bytes } from './decimal-scratch.js'

/** `{"type":"ack","re":<re>`, `,"id":<id>`, `,"ts":<ts>`: kept from ack to ack (ids count up, timestamps repeat). */
const headAndRe = new DecimalScratch(latin1Bytes('{"type":"ack","re":'))
const idPart = new DecimalScratch(latin1Bytes(',"id":'))
const tsPart = new DecimalScratch(latin1Bytes(',"ts":'))
const STORED = latin1Bytes(',"stored":true')
const CLOSE = 0x7d
/** The longest ack (three 16-digit numbers and `stored`): its body is below 128 bytes, so its length prefix is one byte. */
const MAX_ACK_BYTES = 1 + '{"type":"ack","re":,"id":,"ts":}'.length + STORED.length + 3 * 16

/** One sender's acks in the commit's buffer: from `start`, written up to `at`. */
interface AckRun {
  count: number
  start: number
  at: number
}

/**
 * The acknowledgements of one commit, gathered per sender: each sender gets
 * all of its acks as one buffer (one queue entry per sender per commit, not
 * per message), the frames written straight into it (an ack holds only
 * numbers), and every sender's in one allocation: the acks are counted
 * first (`expect`), each sender given its room in one buffer (`allocate`),
 * then written (`add`, in the same order).
 */
export class AckBatch {
  private readonly runs = new Map<Session, AckRun>()
  private bytes: Buffer | undefined
  private view: DataView | undefined
  private lastSender: Session | undefined
  private lastRun: AckRun | undefined

  /** One more ack will go to `sender`. */
  expect (sender: Session): void {
    const run = this.runOf(sender)
    if (run !== undefined) run.count++
    else this.runs.set(sender, { count: 1, start: 0, at: 0 })
  }

  /** Makes the buffer, each sender's acks together (room for the longest ack each). */
  allocate (): void {
    let total = 0
    for (const run of this.runs.values()) {
      run.start = run.at = total
      total += run.count * MAX_ACK_BYTES
    }
    this.bytes = Buffer.allocUnsafe(total)
    this.view = viewOf(this.bytes)
    this.lastSender = this.lastRun = undefined
  }

  /** Writes an ack expected for `sender`. */
  add (sender: Session, re: number, id: number, ts: number, stored: boolean): void {
    const run = this.runOf(sender)!
    const out = this.bytes!
    const to = this.view!
    const start = run.at
    let at = headAndRe.copyTo(re, out, to, start + 1)
    at = idPart.copyTo(id, out, to, at)
    at = tsPart.copyTo(ts, out, to, at)
    if (stored) {
      out.set(STORED, at)
      at += STORED.length
    }
    out[at++] = CLOSE
    // The body's length, in the one byte kept for it.
    out[start] = at - start - 1
    run.at = at
  }

  /** Queues each sender's acks, in the order they were added. */
  send (): void {
    for (const [sender, run] of this.runs) sender.send(this.bytes!.subarray(run.start, run.at))
  }

  /** A commit's acks come in runs of one sender (a chunk's sends): the last one is kept at hand. */
  private runOf (sender: Session): AckRun | undefined {
    if (sender === this.lastSender) return this.lastRun
    const run = this.runs.get(sender)
    if (run !== undefined) {
      this.lastSender = sender
      this.lastRun = run
    }
    return run
  }
}
