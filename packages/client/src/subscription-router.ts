import { ErrorCodes } from '@chat/protocol'
import type { ChatMessage } from '@chat/protocol'
import { ChatError } from './chat-error.js'
import type { BatchMessageFilter, MessageFilter } from './options.js'
import type { ChatEvent } from './client-types.js'
import type { StatusEvent } from './status.js'
import { Subscription } from './subscription.js'
import type { Inbox } from './subscription.js'

/**
 * The app's iterators, and which items go to which: messages, events
 * (presence, typing, read markers) and status events. It also tells the read loop when to stop
 * (an iterator holds `highWaterMark` items), so an app that stops reading
 * slows the server down instead of growing memory.
 */
export class SubscriptionRouter {
  /** Message iterators yield messages one by one, or in arrays (`batch`): the router only offers them messages. */
  private readonly messageSubscriptions = new Set<Inbox<ChatMessage>>()
  /** Each message iterator's filter: which rooms it depends on, if a room's catch-up fails. */
  private readonly messageScopes = new WeakMap<Inbox<ChatMessage>, MessageFilter>()
  private readonly eventSubscriptions = new Set<Inbox<ChatEvent>>()
  private readonly statusSubscriptions = new Set<Inbox<StatusEvent>>()
  /**
   * Direct messages no iterator wanted yet (those kept offline arrive right
   * at login): the next iterator that accepts them gets them. At most
   * `highWaterMark`; beyond, the oldest go, so an app that never reads
   * direct messages does not stall.
   */
  private unclaimed: ChatMessage[] = []
  /** Set once the client is closed for good: iterators asked for later end at once, the same way. */
  private ended: { reason: ChatError | undefined } | undefined

  constructor (
    private readonly highWaterMark: number,
    /** The app took an item or an iterator ended: the read loop may go on. */
    private readonly onSpace: () => void
  ) {}

  /**
   * A message iterator. `accepts` says which messages it wants; `scope` is
   * the filter it came from (a failed catch-up of a room ends the iterators
   * of that room; `scope.batch` makes it yield arrays, and the caller says so
   * with `Y`); `onEnd` runs once when it ends.
   */
  messages<Y = ChatMessage> (accepts: (m: ChatMessage) => boolean, scope: MessageFilter | BatchMessageFilter, onEnd?: () => void): Subscription<ChatMessage, Y> {
    const batch = 'batch' in scope && scope.batch
    const subscription = this.subscribe<ChatMessage, Y>(this.messageSubscriptions, this.highWaterMark, accepts, scope.signal, onEnd, batch)
    this.messageScopes.set(subscription, scope)
    return subscription
  }

  events<E extends ChatEvent = ChatEvent> (accepts: (e: ChatEvent) => boolean, signal?: AbortSignal): Subscription<ChatEvent, E> {
    return this.subscribe<ChatEvent, E>(this.eventSubscriptions, this.highWaterMark, accepts, signal)
  }

  status (signal?: AbortSignal): Subscription<StatusEvent> {
    // Status iterators never stop reading (isFull does not count them): taking from one reports no space.
    return this.subscribe(this.statusSubscriptions, Infinity, () => true, signal)
  }

  /** A room message: to every iterator that accepts it. True if one did. */
  deliver (message: ChatMessage): boolean {
    let claimed = false
    for (const s of this.messageSubscriptions) {
      if (s.accepts(message)) {
        s.offer(message)
        claimed = true
      }
    }
    return claimed
  }

  /** A direct message: to every iterator that accepts it, or kept until one does. */
  deliverDirect (message: ChatMessage): void {
    if (this.deliver(message)) return
    this.unclaimed.push(message)
    if (this.unclaimed.length > this.highWaterMark) this.unclaimed.shift()
  }

  /** A new message iterator takes the direct messages waiting for one it accepts. */
  claimUnclaimed (subscription: Inbox<ChatMessage>): void {
    if (this.unclaimed.length === 0) return
    const kept: ChatMessage[] = []
    for (const m of this.unclaimed) {
      if (subscription.accepts(m)) subscription.offer(m)
      else kept.push(m)
    }
    this.unclaimed = kept
    this.onSpace()
  }

  /** A presence, typing or read event: to every event iterator that accepts it (none: it goes nowhere). */
  deliverEvent (event: ChatEvent): void {
    for (const s of this.eventSubscriptions) if (s.accepts(event)) s.offer(event)
  }

  emit (event: StatusEvent): void {
    for (const s of this.statusSubscriptions) s.offer(event)
  }

  /** Some message or event iterator holds `highWaterMark` items (status iterators never stop reading). */
  get isFull (): boolean {
    for (const s of this.messageSubscriptions) if (s.pending >= this.highWaterMark) return true
    for (const s of this.eventSubscriptions) if (s.pending >= this.highWaterMark) return true
    return false
  }

  /** Catching up on `room` was impossible: the message iterators that may carry its messages end with `error`. */
  endRoom (room: string, error: ChatError): void {
    for (const s of [...this.messageSubscriptions]) {
      const scope = this.messageScopes.get(s)
      if (scope?.direct !== true && (scope?.room === undefined || scope.room === room)) s.finish(error)
    }
  }

  /**
   * The client is closed for good: message and event iterators end (with
   * `reason`, after what they hold), status iterators get the `close` event
   * and end normally.
   */
  endAll (reason: ChatError | undefined): void {
    this.ended = { reason }
    for (const s of [...this.messageSubscriptions]) s.finish(reason)
    for (const s of [...this.eventSubscriptions]) s.finish(reason)
    this.emit(reason === undefined ? { type: 'close' } : { type: 'close', error: reason })
    for (const s of [...this.statusSubscriptions]) s.finish()
  }

  private subscribe<T, Y = T> (
    set: Set<Inbox<T>>, highWaterMark: number, accepts: (item: T) => boolean,
    signal?: AbortSignal, onEnd?: () => void, batch = false
  ): Subscription<T, Y> {
    const abort = (): void => { subscription.finish(new ChatError(ErrorCodes.ABORTED, 'the iterator was aborted', { cause: signal?.reason })) }
    const subscription = new Subscription<T, Y>(accepts, this.onSpace, s => {
      set.delete(s)
      signal?.removeEventListener('abort', abort)
      onEnd?.()
    }, highWaterMark, batch)
    if (this.ended !== undefined) {
      subscription.finish(this.ended.reason)
      return subscription
    }
    set.add(subscription)
    if (signal?.aborted === true) abort()
    else signal?.addEventListener('abort', abort, { once: true })
    return subscription
  }
}
