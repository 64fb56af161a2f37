import { nowMicros } from './clock.js'
import { messageText } from './message-text.js'
import type { LoadConnection, Receiver } from './target.js'

/**
 * A publisher: sends numbered, time-stamped texts. With a window it keeps that
 * many sends unacknowledged, replacing each read's acks in one write; at a
 * fixed rate the caller says how many to send and when.
 */
export class Publisher implements Receiver {
  connection: LoadConnection | undefined
  sent = 0
  ackCount = 0
  failure: string | undefined
  /** Keep the window full as acks come back. */
  private running = false
  private whenAllAcked: (() => void) | undefined

  /**
   * @param window sends kept unacknowledged
   * @param delivered shared with the subscribers' thread: `delivered[index]` is how many of
   *   our texts the slowest subscriber has; we stay at most `maxAhead` texts ahead of it
   */
  constructor (
    readonly index: number,
    private readonly window: number,
    private readonly delivered?: Float64Array,
    private readonly maxAhead = Number.POSITIVE_INFINITY
  ) {}

  get inFlight (): number {
    return this.sent - this.ackCount
  }

  startWindow (): void {
    this.running = true
    this.topUp()
  }

  /**
   * Fills the window, but no further than `maxAhead` texts past the slowest
   * subscriber: a load generator whose own readers fall behind would make any
   * server drop them as slow consumers, and measure itself.
   */
  topUp (): void {
    if (!this.running) return
    let count = this.window - this.inFlight
    if (this.delivered !== undefined) count = Math.min(count, this.delivered[this.index] + this.maxAhead - this.sent)
    this.sendNow(count)
  }

  stop (): void {
    this.running = false
  }

  /** Sends `count` texts now, in one write. */
  sendNow (count: number): void {
    if (count <= 0 || this.connection === undefined) return
    const stamp = nowMicros()
    const texts = new Array<string>(count)
    for (let i = 0; i < count; i++) texts[i] = messageText(this.index, this.sent++, stamp)
    this.connection.send(texts)
  }

  /** Resolves once every send so far was acknowledged, or after `timeoutMs`. */
  async allAcked (timeoutMs: number): Promise<void> {
    if (this.inFlight <= 0) return
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => { this.whenAllAcked = undefined; resolve() }, timeoutMs)
      this.whenAllAcked = () => { clearTimeout(timer); resolve() }
    })
  }

  chunkStart (): void {}
  message (): void {}

  acked (count: number): void {
    this.ackCount += count
  }

  chunkEnd (): void {
    if (this.running) this.topUp()
    else if (this.whenAllAcked !== undefined && this.inFlight <= 0) {
      const done = this.whenAllAcked
      this.whenAllAcked = undefined
      done()
    }
  }

  failed (reason: string): void {
    this.failure ??= reason
  }
}
