import { nowMicros } from './clock.js'
import type { LatencyHistogram } from './latency-histogram.js'
import type { TextFields } from './message-text.js'
import type { Receiver } from './target.js'

/**
 * A subscriber's checks, per message: every publisher's sequence numbers must
 * arrive in order with no gap (a gap is counted lost, a step back out of order),
 * and, when measuring latency, the time since the publisher stamped the text.
 */
export class Subscriber implements Receiver {
  /** Next sequence number expected from each publisher. */
  readonly next: Float64Array
  received = 0
  bytes = 0
  gaps = 0
  outOfOrder = 0
  failure: string | undefined
  private now = 0

  constructor (
    publishers: number,
    private readonly latency: LatencyHistogram | undefined,
    /** Only texts stamped at or after this are timed (the warm-up is not). */
    private readonly timing: { fromMicros: number }
  ) {
    this.next = new Float64Array(publishers)
  }

  chunkStart (bytes: number): void {
    this.bytes += bytes
    if (this.latency !== undefined) this.now = nowMicros()
  }

  message (fields: TextFields): void {
    this.received++
    const p = fields.publisher
    if (p >= this.next.length) { this.failure ??= `a text from unknown publisher ${p}`; return }
    const expected = this.next[p]
    if (fields.seq === expected) this.next[p] = expected + 1
    else if (fields.seq > expected) { this.gaps += fields.seq - expected; this.next[p] = fields.seq + 1 } else this.outOfOrder++
    if (this.latency !== undefined && fields.sentMicros >= this.timing.fromMicros) this.latency.record(this.now - fields.sentMicros)
  }

  acked (): void {}
  chunkEnd (): void {}

  failed (reason: string): void {
    this.failure ??= reason
  }

  /** True once it has every text each publisher sent (`sent[p]` of them). */
  hasAll (sent: ArrayLike<number>): boolean {
    for (let p = 0; p < this.next.length; p++) if (this.next[p] < sent[p]) return false
    return true
  }

  /** Gaps plus what never came. */
  lost (sent: ArrayLike<number>): number {
    let missing = this.gaps
    for (let p = 0; p < this.next.length; p++) if (this.next[p] < sent[p]) missing += sent[p] - this.next[p]
    return missing
  }
}
