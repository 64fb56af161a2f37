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

/**
 * One `messages()`, `events()` or `status()` iterator: a queue the
 * connection's read loop fills and the app drains with `for await`.
 *
 * It does not bound itself: the client watches `pending` against its
 * high-water mark and stops reading the socket while a subscription is full,
 * so an app that stops iterating slows the server down instead of growing memory.
 */
export class Subscription<T> implements ChatSubscription<T> {
  readonly closed: Promise<ChatError | undefined>
  delivered = 0
  private readonly items = new RingQueue<T>()
  private waiter: { resolve: (result: IteratorResult<T>) => void, reject: (err: Error) => void } | undefined
  private finished = false
  private error: ChatError | undefined
  private resolveClosed!: (reason: ChatError | undefined) => void

  constructor (
    /** Which items this subscription wants. */
    readonly accepts: (item: T) => boolean,
    /**
     * Called when the app took the item that brings this subscription below
     * `highWaterMark`, or the subscription ended: there may be room to read again.
     */
    private readonly onSpace: () => void,
    /** Called once when the subscription ends, so the client forgets it. */
    private readonly onEnd: (subscription: Subscription<T>) => void,
    /**
     * Where the client stops reading (`pending` at or above it). Taking an item
     * reports space only when it crosses below: while the subscription is
     * still full, the read loop would only pause again (it did, for every
     * item taken, before).
     */
    private readonly highWaterMark = 1
  ) {
    this.closed = new Promise(resolve => { this.resolveClosed = resolve })
  }

  get pending (): number {
    return this.items.length
  }

  get isFinished (): boolean {
    return this.finished
  }

  /** Hands an item to the app (at once if it is waiting). */
  offer (item: T): void {
    if (this.finished) return
    const waiter = this.waiter
    if (waiter !== undefined) {
      this.waiter = undefined
      this.delivered++
      waiter.resolve({ value: item, done: false })
    } else {
      this.items.push(item)
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
    if (waiter !== undefined) {
      this.waiter = undefined
      if (error !== undefined) {
        this.error = undefined // the waiting app got it; thrown once
        waiter.reject(error)
      } else waiter.resolve({ value: undefined, done: true })
    }
  }

  // Not `async`: an item already queued is handed back as a settled promise, without an async function's frame.
  next (): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      const value = this.items.shift() as T
      this.delivered++
      const pending = this.items.length
      if (pending < this.highWaterMark && pending + 1 >= this.highWaterMark) this.onSpace()
      return Promise.resolve({ value, done: false })
    }
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
  async return (): Promise<IteratorResult<T>> {
    this.items.clear()
    this.error = undefined
    this.finish() // reports space
    return { value: undefined, done: true }
  }

  [Symbol.asyncIterator] (): this {
    return this
  }
}
