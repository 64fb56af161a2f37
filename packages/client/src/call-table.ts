import { ErrorCodes } from '@chat/protocol'
import type { ClientMessage, ClientRequest, ServerReply } from '@chat/protocol'
import { ChatError } from './chat-error.js'

/** A request as the client builds it: the table gives it its `req`. */
export type RequestBody = ClientRequest extends infer R ? R extends ClientRequest ? Omit<R, 'req'> : never : never

/** What a call needs of a connection (a `ClientConnection`; a small fake in tests). */
export interface CallConnection {
  /** Queues a message; false if the connection can't take it. May throw a ChatError (too large). */
  send: (message: ClientMessage) => boolean
  /** Sends a message again after `delayMs` (the server refused it with `rate_limited`). */
  resendAfter: (message: ClientMessage, delayMs: number) => void
  /** A call now awaits a reply: let the read loop read on even if an iterator is full. */
  onSpace: () => void
  readonly isEnded: boolean
}

/** A request waiting for its reply, as the client's dispatch sees it. */
export interface PendingCall<C extends CallConnection = CallConnection> {
  readonly body: RequestBody
  /** An app call: sent again on the next connection if this one is lost before the reply. */
  readonly resend: boolean
  /** Where it was sent; unset while waiting for a connection. */
  readonly connection: C | undefined
}

interface Call<C extends CallConnection> extends PendingCall<C> {
  readonly holdsReading: boolean
  connection: C | undefined
  req: number | undefined
  offlineTimer: NodeJS.Timeout | undefined
  /** Times it was refused with `rate_limited`. */
  rateLimited: number
  resolve: (reply: ServerReply) => void
  reject: (err: ChatError) => void
}

export interface CallTableOptions {
  /** How long an app call waits for a connection before it rejects with `timeout` (ms). */
  offlineTimeoutMs: number
  /** Calls waiting (for a reply or a connection) before new app calls reject with `outbound_full`. */
  maxPendingCalls: number
}

/** Times a call is sent again after `rate_limited` before it rejects with it. */
export const MAX_RATE_LIMITED_RETRIES = 20
/** A `retryAfterMs` longer than this (a registration limit, minutes away) is not waited out: the call rejects. */
export const MAX_RATE_LIMITED_WAIT_MS = 30_000

/**
 * Every request waiting for its reply, by request id. Two kinds: app calls,
 * which outlive a connection (they wait for the next one, up to the offline
 * timeout, and are sent again there with the same body, so a send keeps its
 * idempotency key), and requests bound to one connection (login, rejoins,
 * replays), which fail with it.
 */
export class CallTable<C extends CallConnection = CallConnection> {
  private readonly calls = new Set<Call<C>>()
  private readonly byReq = new Map<number, Call<C>>()
  /** The app's calls still waiting for their answers, for drain(). */
  private appCalls = 0
  /** drain() waiting for the last of them. */
  private drained: (() => void) | undefined
  private nextReq = 0
  private draining = false

  constructor (private readonly options: CallTableOptions) {}

  /** Calls waiting for a reply or for a connection. */
  get size (): number {
    return this.calls.size
  }

  /** A call awaits a reply the app is waiting for: reading must go on (the reply may be behind the messages). */
  get holdsReading (): boolean {
    for (const call of this.byReq.values()) if (call.holdsReading) return true
    return false
  }

  /** The call a reply answers (`re`), if it is still waiting. */
  get (req: number): PendingCall<C> | undefined {
    return this.byReq.get(req)
  }

  /**
   * An app call: sent now on `connection`, or, without one, when `resendWaiting()`
   * gets one (it rejects with `timeout` if none comes within the offline timeout).
   */
  call (body: RequestBody, connection: C | undefined, signal?: AbortSignal): Promise<ServerReply> {
    // Not async: one promise per call (a send's), not three.
    if (this.draining) return Promise.reject(new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the client is closed'))
    if (signal?.aborted === true) return Promise.reject(new ChatError(ErrorCodes.ABORTED, 'the call was aborted', { cause: signal.reason }))
    if (this.calls.size >= this.options.maxPendingCalls) {
      return Promise.reject(new ChatError(ErrorCodes.OUTBOUND_FULL, `${this.calls.size} calls are waiting for answers already`))
    }
    return new Promise<ServerReply>((resolve, reject) => {
      const call = this.add(body, true, true, resolve, reject, signal, 'the call was aborted')
      this.appCalls++
      if (connection !== undefined) this.dispatch(call, connection)
      else this.waitForConnection(call)
    })
  }

  /**
   * A request on one connection, not sent again elsewhere (logins, rejoins,
   * replays). `req` is known at once, so replies and the messages tagged with
   * it can be routed as they arrive.
   */
  request<R extends ServerReply> (connection: C, body: RequestBody, holdsReading: boolean, signal?: AbortSignal): { req: number, reply: Promise<R> } {
    let call: Call<C> | undefined
    const reply = new Promise<R>((resolve, reject) => {
      if (signal?.aborted === true) {
        reject(new ChatError(ErrorCodes.ABORTED, 'aborted', { cause: signal.reason }))
        return
      }
      call = this.add(body, false, holdsReading, resolve as (reply: ServerReply) => void, reject, signal, 'aborted')
      this.dispatch(call, connection)
    })
    return { req: call?.req ?? -1, reply }
  }

  /**
   * The server refused a call with `rate_limited`: it is sent again, the same
   * request (the same `req`, a send's same idempotency key), on the same
   * connection once `retryAfterMs` has passed, before the calls of its kind
   * made after it. False, changing nothing, if it was refused too often
   * already or told to wait too long: settle it then. If the connection is
   * lost meanwhile, the call goes as calls do then.
   */
  retryLater (call: PendingCall<C>, retryAfterMs: number | undefined): boolean {
    const c = call as Call<C>
    const waitMs = retryAfterMs ?? 1_000
    if (!this.calls.has(c) || c.connection === undefined || c.connection.isEnded) return false
    if (c.rateLimited >= MAX_RATE_LIMITED_RETRIES || waitMs > MAX_RATE_LIMITED_WAIT_MS) return false
    c.rateLimited++
    c.connection.resendAfter(this.messageOf(c), waitMs)
    return true
  }

  /** Resolves a call with its reply, or rejects it; a call already settled is left alone. */
  settle (call: PendingCall<C>, outcome: ChatError | ServerReply): void {
    const c = call as Call<C>
    if (!this.calls.delete(c)) return
    if (c.offlineTimer !== undefined) clearTimeout(c.offlineTimer)
    if (c.req !== undefined) this.byReq.delete(c.req)
    if (outcome instanceof ChatError) c.reject(outcome)
    else c.resolve(outcome)
    if (c.resend && --this.appCalls === 0 && this.drained !== undefined) {
      // After the app's own reactions to it (as allSettled over the calls would).
      const drained = this.drained
      this.drained = undefined
      queueMicrotask(drained)
    }
  }

  /** A connection ended: its app calls wait for the next one; the requests bound to it fail with `error`. */
  connectionLost (connection: C, error: ChatError): void {
    for (const call of [...this.calls]) {
      if (call.connection !== connection) continue
      this.byReq.delete(call.req!)
      call.connection = undefined
      call.req = undefined
      if (!call.resend) this.settle(call, error)
      else this.waitForConnection(call)
    }
  }

  /** A new connection is up: app calls that had no answer are sent again, in the order they were made. */
  resendWaiting (connection: C): void {
    for (const call of this.calls) if (call.resend && call.connection === undefined) this.dispatch(call, connection)
  }

  /**
   * drain(): refuses new app calls from now on, and resolves once every app
   * call made so far has settled (however it did).
   */
  async drain (): Promise<void> {
    this.draining = true
    if (this.appCalls === 0) return
    await new Promise<void>(resolve => {
      const before = this.drained
      this.drained = before === undefined ? resolve : () => { before(); resolve() }
    })
  }

  /** Every call still waiting rejects with `error`. */
  rejectAll (error: ChatError): void {
    for (const call of [...this.calls]) this.settle(call, error)
  }

  private add (
    body: RequestBody, resend: boolean, holdsReading: boolean,
    resolve: (reply: ServerReply) => void, reject: (err: ChatError) => void,
    signal: AbortSignal | undefined, abortMessage: string
  ): Call<C> {
    const call: Call<C> = { body, resend, holdsReading, connection: undefined, req: undefined, offlineTimer: undefined, rateLimited: 0, resolve, reject }
    if (signal !== undefined) {
      // Only a call with a signal pays for the closures that unhook it.
      const abort = (): void => { this.settle(call, new ChatError(ErrorCodes.ABORTED, abortMessage, { cause: signal.reason })) }
      call.resolve = r => { signal.removeEventListener('abort', abort); resolve(r) }
      call.reject = e => { signal.removeEventListener('abort', abort); reject(e) }
      signal.addEventListener('abort', abort, { once: true })
    }
    this.calls.add(call)
    return call
  }

  /** The message a call (dispatched, with its `req`) sends. */
  private messageOf (call: Call<C>): ClientMessage {
    // `req` right after `type`: the order the server's fast path for sends reads.
    const body = call.body
    // A keyed send, the most frequent, made without a rest object and a spread.
    if (body.type === 'send' && body.key !== undefined) return { type: 'send', req: call.req!, room: body.room, text: body.text, key: body.key }
    const { type, ...fields } = body
    return { type, req: call.req!, ...fields } as ClientMessage
  }

  private dispatch (call: Call<C>, connection: C): void {
    if (call.offlineTimer !== undefined) clearTimeout(call.offlineTimer)
    const req = ++this.nextReq
    call.connection = connection
    call.req = req
    this.byReq.set(req, call)
    let sent: boolean
    try {
      sent = connection.send(this.messageOf(call))
    } catch (err) {
      this.settle(call, err as ChatError)
      return
    }
    if (!sent) this.settle(call, new ChatError(ErrorCodes.OUTBOUND_FULL, 'too much is waiting to be sent: the server is not reading'))
    // A call awaiting its reply lets the read loop read past the high-water mark.
    connection.onSpace()
  }

  /** While there is no connection, a call waits for one, but not forever. */
  private waitForConnection (call: Call<C>): void {
    const timeoutMs = this.options.offlineTimeoutMs
    call.offlineTimer = setTimeout(() => {
      this.settle(call, new ChatError(ErrorCodes.TIMEOUT, `no connection to the server for ${timeoutMs} ms`))
    }, timeoutMs)
  }
}
