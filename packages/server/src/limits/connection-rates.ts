import type { ResolvedRateLimits } from './limit-options.js'

/** What a refused request waits beyond affording itself: an eighth of its bucket refills, so a few go through after it. */
const REFILL_SHARE = 1 / 8

/**
 * One connection's token buckets: messages (`send`, `dm`), bytes received
 * (every frame), and expensive requests (`history`, `replay`, `rooms`,
 * `members`, `read`, `unread`). A bucket holds up to its burst and refills at its rate;
 * whatever a request costs is taken from it, and a request it can't afford
 * is refused, told how long to wait (`retryAfterMs`). Bytes are charged as
 * they arrive, before anyone knows which requests they hold, so that bucket
 * may run below zero: a message is refused while it is.
 *
 * A refusal opens a window of that length in which every request of the
 * same kind is refused too, each told the time left: the client's requests
 * sent behind the refused one (pipelined) are refused with it rather than
 * stored before it, so a client that sends them all again, in order, once
 * told it may, keeps its order.
 *
 * Cheap on the hot path: a few arithmetic operations per request, with
 * the connection's last-read time as the clock (the clock is read again
 * only before refusing).
 */
export class ConnectionRates {
  private messageTokens: number
  private messageAt: number
  private byteTokens: number
  private byteAt: number
  private requestTokens: number
  private requestAt: number
  /** Until when messages, and expensive requests, are refused (ms since epoch). */
  private messagesRefusedUntil = 0
  private requestsRefusedUntil = 0

  constructor (private readonly limits: ResolvedRateLimits, now: number) {
    this.messageTokens = limits.messageBurst
    this.byteTokens = limits.byteBurst
    this.requestTokens = limits.requestBurst
    this.messageAt = this.byteAt = this.requestAt = now
  }

  /**
   * Charges bytes that arrived. Returns how long the connection should not be
   * read (ms) when it is more than a whole burst over, else 0: a client that
   * floods frames the other limits don't count (refused ones) is slowed by TCP.
   */
  received (bytes: number, now: number): number {
    const { bytesPerSecond, byteBurst } = this.limits
    if (bytesPerSecond === 0) return 0
    this.refillBytes(now)
    this.byteTokens -= bytes
    return this.byteTokens < -byteBurst ? waitFor(-this.byteTokens, 0, bytesPerSecond) : 0
  }

  /**
   * A `send` or `dm`: 0 if admitted (and charged), else how long to wait (ms).
   * `seen` is when its bytes arrived (the connection's last read).
   */
  message (seen: number): number {
    const { messagesPerSecond, bytesPerSecond } = this.limits
    if (messagesPerSecond === 0 && bytesPerSecond === 0) return 0
    if (seen < this.messagesRefusedUntil) return this.messagesRefusedUntil - seen
    if (this.affordsMessage(seen)) {
      if (messagesPerSecond !== 0) this.messageTokens -= 1
      return 0
    }
    const now = Date.now()
    if (this.affordsMessage(now)) {
      if (messagesPerSecond !== 0) this.messageTokens -= 1
      return 0
    }
    const { messageBurst, byteBurst } = this.limits
    const wait = Math.max(
      messagesPerSecond === 0 ? 0 : waitFor(1 + messageBurst * REFILL_SHARE, this.messageTokens, messagesPerSecond),
      bytesPerSecond === 0 ? 0 : waitFor(byteBurst * REFILL_SHARE, this.byteTokens, bytesPerSecond))
    this.messagesRefusedUntil = now + wait
    return wait
  }

  /** A `history`, `replay`, `rooms`, `members`, `read` or `unread`: 0 if admitted (and charged), else how long to wait (ms). */
  request (seen: number): number {
    const { requestsPerSecond, requestBurst } = this.limits
    if (requestsPerSecond === 0) return 0
    if (seen < this.requestsRefusedUntil) return this.requestsRefusedUntil - seen
    if (this.affordsRequest(seen)) {
      this.requestTokens -= 1
      return 0
    }
    const now = Date.now()
    if (this.affordsRequest(now)) {
      this.requestTokens -= 1
      return 0
    }
    const wait = waitFor(1 + requestBurst * REFILL_SHARE, this.requestTokens, requestsPerSecond)
    this.requestsRefusedUntil = now + wait
    return wait
  }

  private affordsMessage (now: number): boolean {
    const { messagesPerSecond, messageBurst, bytesPerSecond } = this.limits
    if (messagesPerSecond !== 0 && now > this.messageAt) {
      this.messageTokens = Math.min(messageBurst, this.messageTokens + (now - this.messageAt) * messagesPerSecond / 1000)
      this.messageAt = now
    }
    if (bytesPerSecond !== 0) this.refillBytes(now)
    return (messagesPerSecond === 0 || this.messageTokens >= 1) && (bytesPerSecond === 0 || this.byteTokens >= 0)
  }

  private affordsRequest (now: number): boolean {
    const { requestsPerSecond, requestBurst } = this.limits
    if (now > this.requestAt) {
      this.requestTokens = Math.min(requestBurst, this.requestTokens + (now - this.requestAt) * requestsPerSecond / 1000)
      this.requestAt = now
    }
    return this.requestTokens >= 1
  }

  private refillBytes (now: number): void {
    if (now > this.byteAt) {
      this.byteTokens = Math.min(this.limits.byteBurst, this.byteTokens + (now - this.byteAt) * this.limits.bytesPerSecond / 1000)
      this.byteAt = now
    }
  }
}

/** Milliseconds until a bucket holding `tokens` holds `wanted`, at `perSecond` (at least 1). */
function waitFor (wanted: number, tokens: number, perSecond: number): number {
  return Math.max(1, Math.ceil((wanted - tokens) * 1000 / perSecond))
}
