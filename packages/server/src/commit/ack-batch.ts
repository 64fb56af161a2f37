import type { Session } from '../session/session.js'
import { DecimalScratch, latin1Bytes } from './decimal-scratch.js'

/** `{"type":"ack","re":<re>`, `,"id":<id>`, `,"ts":<ts>`: kept from ack to ack (ids count up, timestamps repeat). */
const headAndRe = new DecimalScratch(latin1Bytes('{"type":"ack","re":'))
const idPart = new DecimalScratch(latin1Bytes(',"id":'))
const tsPart = new DecimalScratch(latin1Bytes(',"ts":'))
const STORED = latin1Bytes(',"stored":true')
const CLOSE = 0x7d
/** The longest ack (three 16-digit numbers and `stored`): its body is below 128 bytes, so its length prefix is one byte. */
const MAX_ACK_BYTES = 1 + '{"type":"ack","re":,"id":,"ts":}'.length + STORED.length + 3 * 16
const FIRST_CAPACITY = 256

/** One sender's acks of a commit, written as frames into one growing buffer. */
class AckWriter {
  private bytes = Buffer.allocUnsafe(FIRST_CAPACITY)
  private used = 0

  add (re: number, id: number, ts: number, stored: boolean): void {
    if (this.used + MAX_ACK_BYTES > this.bytes.length) {
      const grown = Buffer.allocUnsafe(this.bytes.length * 2)
      grown.set(this.bytes.subarray(0, this.used))
      this.bytes = grown
    }
    const out = this.bytes
    const start = this.used
    let at = start + 1
    const head = headAndRe.set(re)
    out.set(head, at)
    at += head.length
    const id_ = idPart.set(id)
    out.set(id_, at)
    at += id_.length
    const ts_ = tsPart.set(ts)
    out.set(ts_, at)
    at += ts_.length
    if (stored) {
      out.set(STORED, at)
      at += STORED.length
    }
    out[at++] = CLOSE
    // The body's length, in the one byte kept for it.
    out[start] = at - start - 1
    this.used = at
  }

  frames (): Uint8Array {
    return this.bytes.subarray(0, this.used)
  }
}

/**
 * The acknowledgements of one commit, gathered per sender: each sender gets
 * all of its acks as one buffer (one allocation and one queue entry per
 * sender per commit, not per message), the frames written straight into it
 * (an ack holds only numbers).
 */
export class AckBatch {
  private readonly writers = new Map<Session, AckWriter>()

  add (sender: Session, re: number, id: number, ts: number, stored: boolean): void {
    let writer = this.writers.get(sender)
    if (writer === undefined) this.writers.set(sender, writer = new AckWriter())
    writer.add(re, id, ts, stored)
  }

  /** Queues each sender's acks, in the order they were added. */
  send (): void {
    for (const [sender, writer] of this.writers) sender.send(writer.frames())
  }
}
