import type { ChatError } from './chat-error.js'
import { RingQueue } from './ring-queue.js'

/**
 * What `messages()`, `events()` and `status()` return: an async iterator
 * that also tells how it is doing, as nats.js subscriptions do.
 */
export interface ChatSubscription<T> extends AsyncIterableIterator<T> {
  /**
   * Settles once no more items will come: with the `ChatError` that ended
   * the iterator, or `undefined` for a normal end (`break`, `return()`, the
   * client's `close()`). Never rejects. Items already queued can still be
   * taken (`pending` says how many); an error is thrown after them.
   */
  readonly closed: Promise<ChatError | undefined>
  /** Items handed to the app so far. */
  readonly delivered: number
  /** Items queued, not yet taken by the app. */
  readonly pending: number
}

/** What the router and the resume tracker use of a subscription: they offer it items and end it, whatever it yields. */
export interface Inbox<T> {
  readonly accepts: (item: T) => boolean
  readonly pending: number
  readonly isFinished: boolean
  offer: (item: T) => void
  finish: (error?: ChatError) => void
}

/**
 * One `messages()`, `events()` or `status()` iterator: a queue the
 * connection's read loop fills and the app drains with `for await`. It is
 * offered items of type `T` and yields `Y`: each item (`T`), or in batch mode
 * every item queued at once (`T[]`).
 *
 * It does not bound itself: the client watches `pending` against its
 * high-water mark and stops reading the socket while a subscription is full,
 * so an app that stops iterating slows the server down instead of growing memory.
 */
export class Subscription<T, Y = T> implements ChatSubscription<Y>, Inbox<T> {
  readonly closed: Promise<ChatError | undefined>
  delivered = 0
  private readonly items = new RingQueue<T>()
  private waiter: { resolve: (result: IteratorResult<Y>) => void, reject: (err: Error) => void } | undefined
  private finished = false
  private error: ChatError | undefined
  private resolveClosed!: (reason: ChatError | undefined) => void
  /** Batch mode: items came while the app was waiting, and are handed over on a microtask. */
  private handOverDue = false

  constructor (
    /** Which items this subscription wants. */
    readonly accepts: (item: T) => boolean,
    /**
     * Called when the app took the item that brings this subscription below
     * `highWaterMark`, or the subscription ended: there may be room to read again.
     */
    private readonly onSpace: () => void,
    /** Called once when the subscription ends, so the client forgets it. */
    private readonly onEnd: (subscription: Inbox<T>) => void,
    /**
     * Where the client stops reading (`pending` at or above it). Taking an item
     * reports space only when it crosses below: while the subscription is
     * still full, the read loop would only pause again (it did, for every
     * item taken, before).
     */
    private readonly highWaterMark = 1,
    /**
     * Each step yields every item queued, as an array (`Y` is `T[]`), at
     * least one. Items that come while the app waits are handed over once the
     * read loop is done with the chunk they came in: one step per chunk.
     */
    private readonly batch = false
  ) {
    this.closed = new Promise(resolve => { this.resolveClosed = resolve })
  }

  get pending (): number {
    return this.items.length
  }

  get isFinished (): boolean {
    return this.finished
  }

  /** Hands an item to the app (at once if it is waiting; in batch mode, after the rest of the chunk). */
  offer (item: T): void {
    if (this.finished) return
    const waiter = this.waiter
    if (waiter === undefined) {
      this.items.push(item)
    } else if (!this.batch) {
      this.waiter = undefined
      this.delivered++
      waiter.resolve({ value: item as unknown as Y, done: false })
    } else {
      this.items.push(item)
      if (!this.handOverDue) {
        this.handOverDue = true
        queueMicrotask(this.handOver)
      }
    }
  }

  /**
   * No more items will come. Items already queued are still delivered; after
   * them the iterator ends, or throws `error` if one is given.
   */
  finish (error?: ChatError): void {
    if (this.finished) return
    this.finished = true
    this.error = error
    this.onEnd(this)
    this.resolveClosed(error)
    // It no longer counts as full: a read loop it paused may go on.
    this.onSpace()
    const waiter = this.waiter
    // A waiting app with a batch due gets the batch first (handOver), the end at its next call.
    if (waiter !== undefined && this.items.length === 0) {
      this.waiter = undefined
      if (error !== undefined) {
        this.error = undefined // the waiting app got it; thrown once
        waiter.reject(error)
      } else waiter.resolve({ value: undefined, done: true })
    }
  }

  // Not `async`: an item already queued is handed back as a settled promise, without an async function's frame.
  next (): Promise<IteratorResult<Y>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.take(), done: false })
    if (this.finished) {
      if (this.error !== undefined) {
        const error = this.error
        this.error = undefined // thrown once; later calls just report done
        return Promise.reject(error)
      }
      return Promise.resolve({ value: undefined, done: true })
    }
    return new Promise((resolve, reject) => { this.waiter = { resolve, reject } })
  }

  /** `break` out of a `for await`: ends this subscription only, dropping what it held. */
  async return (): Promise<IteratorResult<Y>> {
    this.items.clear()
    this.error = undefined
    this.finish() // reports space
    return { value: undefined, done: true }
  }

  [Symbol.asyncIterator] (): this {
    return this
  }

  /** The next item, or in batch mode every item queued (there is at least one), as delivered. */
  private take (): Y {
    const before = this.items.length
    const value = this.batch ? this.items.drain() : this.items.shift()
    const after = this.items.length
    this.delivered += before - after
    if (before >= this.highWaterMark && after < this.highWaterMark) this.onSpace()
    return value as Y
  }

  /** Batch mode: what came while the app waited, handed over in one step. */
  private readonly handOver = (): void => {
    this.handOverDue = false
    const waiter = this.waiter
    if (waiter === undefined || this.items.length === 0) return
    this.waiter = undefined
    waiter.resolve({ value: this.take(), done: false })
  }
}
