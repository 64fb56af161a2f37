import type { ClientMessage, WelcomeMessage } from '@chat/protocol'

/** The server's rates a request counts against: messages (`send`, `dm`) or expensive requests. */
type Lane = 'messages' | 'requests'

function laneOf (message: ClientMessage): Lane | undefined {
  switch (message.type) {
    case 'send': case 'dm': return 'messages'
    case 'history': case 'replay': case 'rooms': case 'members': case 'read': case 'unread': return 'requests'
  }
}

/**
 * A token bucket as the server keeps it: up to `burst`, refilled at
 * `perSecond`. We spend it leaving a reserve unspent (a tenth of the burst,
 * or 50 ms of refill, but at most half the burst): the server counts time
 * from when our bytes arrive, and a request that waited longer in the network
 * than the one before it meets a bucket that had less time to refill than
 * ours did.
 */
class Bucket {
  private tokens: number
  private at: number
  private readonly reserve: number

  constructor (private readonly perSecond: number, private readonly burst: number, now: number) {
    this.tokens = burst
    this.at = now
    this.reserve = Math.min(Math.max(burst / 10, perSecond / 20), burst / 2)
  }

  has (cost: number, now: number): boolean {
    this.refill(now)
    return this.tokens >= this.needed(cost)
  }

  /** What it must hold to spend `cost`: its reserve too, unless that is more than it ever holds. */
  private needed (cost: number): number {
    return Math.min(cost + this.reserve, Math.max(cost, this.burst))
  }

  take (cost: number): void {
    this.tokens -= cost
  }

  /** Milliseconds until it may spend `cost`. */
  msUntil (cost: number, now: number): number {
    this.refill(now)
    const needed = this.needed(cost)
    return this.tokens >= needed ? 0 : Math.ceil((needed - this.tokens) * 1000 / this.perSecond)
  }

  /** The server says it is out: nothing left from now. */
  empty (now: number): void {
    this.refill(now)
    this.tokens = Math.min(this.tokens, 0)
  }

  private refill (now: number): void {
    if (now <= this.at) return
    this.tokens = Math.min(this.burst, this.tokens + (now - this.at) * this.perSecond / 1000)
    this.at = now
  }
}

interface Waiting { req: number, frame: Uint8Array }

/** One lane's requests waiting their turn, in `req` order (the order they were made), and its wake-up. */
interface Queue {
  items: Waiting[]
  /** Nothing of this lane is written before this time (ms since epoch): the server said to wait. */
  until: number
  timer: ReturnType<typeof setTimeout> | undefined
  /**
   * Refused by a server whose rate for this lane we don't know: until the
   * lane is empty, its requests go one at a time, each when the one before
   * was answered (so a retry is not met by a crowd of others, each refused
   * in turn). `probing` is the request in flight.
   */
  oneAtATime: boolean
  probing: number | undefined
}

/**
 * Paces a connection's requests by the rate limits its server announced in
 * `welcome`, mirroring the server's token buckets, so the server rarely has
 * to refuse one (`rate_limited`). A request its lane can't afford waits, and
 * every later one of its lane waits behind it: they go out in the order they
 * were made. One the server refused anyway (it announced no rates, or counted
 * differently) goes back into its lane, in its place, and the lane waits as
 * long as the server said. With nothing announced and nothing
 * refused, a request is written at once.
 */
export class RatePacer {
  private readonly buckets: Partial<Record<Lane, Bucket>> = {}
  private readonly bytes: Bucket | undefined
  private readonly queues: Record<Lane, Queue> = {
    messages: { items: [], until: 0, timer: undefined, oneAtATime: false, probing: undefined },
    requests: { items: [], until: 0, timer: undefined, oneAtATime: false, probing: undefined }
  }

  private closed = false

  /**
   * `sentBytes`: what was written before the welcome (the server counted it).
   * `write` hands a frame to the connection; false if it can't take it.
   */
  constructor (welcome: WelcomeMessage, sentBytes: number, private readonly write: (frame: Uint8Array) => boolean, private readonly onWriteFailed: () => void) {
    const now = Date.now()
    const { messagesPerSecond, messageBurst, bytesPerSecond, byteBurst, requestsPerSecond, requestBurst } = welcome
    if (messagesPerSecond !== undefined && messagesPerSecond > 0) this.buckets.messages = new Bucket(messagesPerSecond, Math.max(1, messageBurst ?? 1), now)
    if (requestsPerSecond !== undefined && requestsPerSecond > 0) this.buckets.requests = new Bucket(requestsPerSecond, Math.max(1, requestBurst ?? 1), now)
    if (bytesPerSecond !== undefined && bytesPerSecond > 0) {
      this.bytes = new Bucket(bytesPerSecond, Math.max(1, byteBurst ?? 1), now)
      this.bytes.take(sentBytes)
    }
  }

  /** Writes `frame` now if its lane allows it, else queues it; false if the connection could not take it. */
  send (message: ClientMessage, frame: Uint8Array): boolean {
    const lane = laneOf(message)
    if (lane === undefined) return this.writeCharged(frame)
    const queue = this.queues[lane]
    const now = Date.now()
    if (queue.items.length === 0 && queue.probing === undefined && now >= queue.until && this.affords(lane, frame, now)) return this.writeCharged(frame, lane)
    this.enqueue(lane, (message as { req: number }).req, frame)
    return true
  }

  /** The server refused `message` (`rate_limited`): it goes again in its place in its lane, after `retryAfterMs`. */
  refused (message: ClientMessage, frame: Uint8Array, retryAfterMs: number): boolean {
    const lane = laneOf(message)
    if (lane === undefined) return false
    const now = Date.now()
    const queue = this.queues[lane]
    queue.until = Math.max(queue.until, now + retryAfterMs)
    const bucket = this.buckets[lane]
    if (bucket !== undefined) bucket.empty(now)
    else queue.oneAtATime = true
    this.enqueue(lane, (message as { req: number }).req, frame)
    return true
  }

  /** A reply (or refusal) to request `re` arrived: a lane going one at a time may send its next. */
  answered (re: number): void {
    // Every reply passes here; a lane goes one at a time only after a refusal.
    if (this.queues.messages.probing !== re && this.queues.requests.probing !== re) return
    for (const lane of ['messages', 'requests'] as const) {
      const queue = this.queues[lane]
      if (queue.probing !== re) continue
      queue.probing = undefined
      if (queue.items.length === 0) queue.oneAtATime = false
      else this.schedule(lane)
    }
  }

  /** A frame written outside the pacer (a ping, a pong): the server counts its bytes too. */
  wrote (frame: Uint8Array): void {
    this.bytes?.take(frame.byteLength)
  }

  /** The connection is over: nothing more is written. */
  close (): void {
    this.closed = true
    for (const queue of Object.values(this.queues)) {
      clearTimeout(queue.timer)
      queue.items = []
    }
  }

  private affords (lane: Lane, frame: Uint8Array, now: number): boolean {
    return (this.buckets[lane]?.has(1, now) ?? true) && (this.bytes?.has(frame.byteLength, now) ?? true)
  }

  private writeCharged (frame: Uint8Array, lane?: Lane): boolean {
    if (lane !== undefined) this.buckets[lane]?.take(1)
    this.bytes?.take(frame.byteLength)
    return this.write(frame)
  }

  private enqueue (lane: Lane, req: number, frame: Uint8Array): void {
    const items = this.queues[lane].items
    let at = items.length
    while (at > 0 && items[at - 1].req > req) at--
    items.splice(at, 0, { req, frame })
    this.schedule(lane)
  }

  private schedule (lane: Lane): void {
    const queue = this.queues[lane]
    if (this.closed || queue.timer !== undefined || queue.items.length === 0 || queue.probing !== undefined) return
    const now = Date.now()
    const head = queue.items[0].frame
    const waitMs = Math.max(queue.until - now, this.buckets[lane]?.msUntil(1, now) ?? 0, this.bytes?.msUntil(head.byteLength, now) ?? 0, 0)
    queue.timer = setTimeout(() => {
      queue.timer = undefined
      this.flush(lane)
    }, waitMs)
  }

  private flush (lane: Lane): void {
    const queue = this.queues[lane]
    while (!this.closed && queue.items.length > 0 && queue.probing === undefined) {
      const now = Date.now()
      const { req, frame } = queue.items[0]
      if (now < queue.until || !this.affords(lane, frame, now)) break
      queue.items.shift()
      if (queue.oneAtATime) queue.probing = req
      if (!this.writeCharged(frame, lane)) {
        this.onWriteFailed()
        return
      }
    }
    if (queue.items.length === 0 && queue.probing === undefined) queue.oneAtATime = false
    this.schedule(lane)
  }
}
