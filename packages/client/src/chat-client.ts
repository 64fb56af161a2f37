import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCodes, PROTOCOL_VERSION } from '@chat/protocol'
import type {
  AckMessage, ChatMessage, HistoryPageMessage, JoinedMessage,
  MemberListMessage, RoomInfo, RoomListMessage, ServerMessage, ServerReply, WelcomeMessage
} from '@chat/protocol'
import { CallTable } from './call-table.js'
import type { RequestBody } from './call-table.js'
import { ChatError } from './chat-error.js'
import type { HistoryPage, JoinResult, PresenceEvent, SendAck, ServerInfo } from './client-types.js'
import { ClientConnection } from './client-connection.js'
import type { ConnectionHandler } from './client-connection.js'
import type { CallOptions, ConnectOptions, EventFilter, HistoryOptions, MessageFilter } from './options.js'
import { mayRetry, reconnectDelay, resolveReconnectOptions } from './reconnect-policy.js'
import type { ResolvedReconnectOptions } from './reconnect-policy.js'
import { ResumeTracker } from './resume-tracker.js'
import type { StatusEvent } from './status.js'
import type { ChatSubscription } from './subscription.js'
import { SubscriptionRouter } from './subscription-router.js'
import { tcpTransport } from './tcp-transport.js'

type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closing' | 'closed'

/** Login refusals a retry can't fix: the client stops reconnecting. */
const FINAL_LOGIN_ERRORS: ReadonlySet<string> = new Set([
  ErrorCodes.AUTH_FAILED, ErrorCodes.INVALID_NAME, ErrorCodes.WEAK_PASSWORD,
  ErrorCodes.REGISTRATION_CLOSED, ErrorCodes.UNSUPPORTED_VERSION
])
/** Disconnects after which reconnecting would be wrong. */
const FINAL_DISCONNECTS: ReadonlySet<string> = new Set([ErrorCodes.SESSION_REPLACED])

const DEFAULT_HIGH_WATER_MARK = 1024
const textEncoder = new TextEncoder()

/**
 * A client of a chat server that survives the network. Get one from `connect()`.
 *
 * Every call resolves with the server's reply or rejects with a `ChatError`
 * carrying the server's code. `messages()` and `events()` are async iterators
 * with backpressure. After an unexpected disconnect the client reconnects,
 * rejoins its rooms, resumes every iterator from the last message it had, and
 * sends again what was not acknowledged (with the same idempotency key, so
 * nothing is stored twice).
 */
export class ChatClient implements AsyncDisposable {
  /** Settles when the client is closed for good: `undefined` after `close()`, or the reason it gave up. */
  readonly closed: Promise<ChatError | undefined>
  username = ''
  /** Logged in to a registered account (false: a guest name). */
  registered = false
  server: ServerInfo | undefined

  private state: ClientState = 'connecting'
  private connection: ClientConnection | undefined
  /** The server's token for this session: a reconnect presents it to replace a connection the server thinks alive. */
  private session: string | undefined
  private readonly calls: CallTable<ClientConnection>
  private readonly router: SubscriptionRouter
  private readonly resumeTracker: ResumeTracker<ClientConnection>
  private readonly reconnectOptions: ResolvedReconnectOptions
  private readonly stopReconnecting = new AbortController()
  private resolveClosed!: (reason: ChatError | undefined) => void

  /** @internal Use `connect()`. */
  constructor (private readonly address: URL, private readonly options: ConnectOptions) {
    this.calls = new CallTable({
      offlineTimeoutMs: options.offlineTimeoutMs ?? 30_000,
      maxPendingCalls: options.maxPendingCalls ?? 10_000
    })
    this.router = new SubscriptionRouter(options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK, () => { this.connection?.onSpace() })
    this.resumeTracker = new ResumeTracker<ClientConnection>(this.router, {
      request: (connection, body) => this.calls.request(connection, body, false),
      resumeFailed: (room, error) => {
        // Catching up on a room was impossible: its iterators end with the reason; the rest go on.
        this.router.endRoom(room, error)
        this.emit({ type: 'resume_failed', room, error })
      }
    })
    this.reconnectOptions = resolveReconnectOptions(options)
    this.closed = new Promise(resolve => { this.resolveClosed = resolve })
  }

  /** True once the client is closed for good. */
  get isClosed (): boolean {
    return this.state === 'closed'
  }

  /** True while a connection is up and logged in. */
  get isConnected (): boolean {
    return this.state === 'connected'
  }

  /** @internal The first connection and login; `connect()` calls it once. */
  async start (signal?: AbortSignal): Promise<void> {
    try {
      await this.open(0, signal)
    } catch (err) {
      this.terminate(err as ChatError)
      throw err
    }
  }

  /** Joins a room (joining one you are in is fine); resolves with its members, you included. */
  async join (room: string, options: CallOptions = {}): Promise<JoinResult> {
    const reply = await this.call<JoinedMessage>({ type: 'join', room }, options)
    return reply.truncated === true ? { room: reply.room, members: reply.members, truncated: true } : { room: reply.room, members: reply.members }
  }

  async leave (room: string, options: CallOptions = {}): Promise<void> {
    await this.call({ type: 'leave', room }, options)
    // A leave takes effect when answered (joins are tracked as their reply is read: see dispatch).
    this.resumeTracker.left(room)
  }

  /**
   * Sends to a room you joined. Resolves once the server stored it, with its
   * id and timestamp. While disconnected it waits for the reconnect (up to
   * `offlineTimeoutMs`); a send cut off by a disconnect is sent again with
   * the same idempotency key and resolves with the one id it was stored under.
   */
  async send (room: string, text: string, options: CallOptions = {}): Promise<SendAck> {
    this.checkText(text)
    const ack = await this.call<AckMessage>({ type: 'send', room, text, key: crypto.randomUUID() }, options)
    return { id: ack.id, ts: ack.ts }
  }

  /**
   * Sends a direct message, exactly once like `send`. To a registered user
   * who is offline it resolves with `stored: true` (delivered at their next
   * login); to a name that is neither online nor registered it rejects with
   * `no_such_user` (`user_offline` on a server in `open` mode).
   */
  async dm (to: string, text: string, options: CallOptions = {}): Promise<SendAck> {
    this.checkText(text)
    const ack = await this.call<AckMessage>({ type: 'dm', to, text, key: crypto.randomUUID() }, options)
    return ack.stored === true ? { id: ack.id, ts: ack.ts, stored: true } : { id: ack.id, ts: ack.ts }
  }

  /**
   * A page of stored messages, oldest first: of a room you are in, or of
   * your direct conversation with a user (`{ with: 'bob' }`). Without
   * `before`/`after`, the newest; `next` says how to ask for the page after.
   * Rejects with `not_member`, or `history_gone` if `after` points at
   * messages retention removed.
   */
  async history (of: string | { with: string }, options: HistoryOptions = {}): Promise<HistoryPage> {
    const body: RequestBody = typeof of === 'string' ? { type: 'history', room: of } : { type: 'history', with: of.with }
    if (options.before !== undefined) body.before = options.before
    if (options.after !== undefined) body.after = options.after
    if (options.limit !== undefined) body.limit = options.limit
    const page = await this.call<HistoryPageMessage>(body, options)
    const result: HistoryPage = { messages: page.messages }
    if (page.more && page.messages.length > 0) {
      result.next = options.after !== undefined
        ? { after: page.messages[page.messages.length - 1].id }
        : { before: page.messages[0].id }
    }
    if (page.gone === true) result.gone = true
    return result
  }

  /** Rooms that have members, with how many. */
  async rooms (options: CallOptions = {}): Promise<RoomInfo[]> {
    return (await this.call<RoomListMessage>({ type: 'rooms' }, options)).rooms
  }

  /** Who is in a room. Rejects with `no_such_room` if no one is. */
  async members (room: string, options: CallOptions = {}): Promise<string[]> {
    return (await this.call<MemberListMessage>({ type: 'members', room }, options)).members
  }

  /**
   * Chat messages from now on, matching `filter`. Each call is its own
   * iterator; `break` ends only that one. Across reconnects it goes on from
   * the last message it had. It ends when the client closes, or throws the
   * `ChatError` that closed it (or `history_gone` if resuming was impossible).
   */
  messages (filter: MessageFilter = {}): ChatSubscription<ChatMessage> {
    const { room, from, direct, since } = filter
    if (since !== undefined) {
      if (room === undefined) throw new TypeError('messages({ since }) needs a room')
      const connection = this.state === 'connected' ? this.connection : undefined
      return this.resumeTracker.since(room, since, from, connection, (accepts, onEnd) => this.router.messages(accepts, filter, onEnd))
    }
    const accepts = (m: ChatMessage): boolean =>
      (room === undefined || m.room === room) &&
      (from === undefined || m.from === from) &&
      (direct === undefined || direct === (m.to !== undefined))
    const subscription = this.router.messages(accepts, filter)
    this.router.claimUnclaimed(subscription)
    return subscription
  }

  /** Presence events (joins and leaves) in the rooms you are in, from now on. */
  events (filter: EventFilter = {}): ChatSubscription<PresenceEvent> {
    const { room } = filter
    return this.router.events(e => room === undefined || e.room === room, filter.signal)
  }

  /** What happens to the connection: disconnects, reconnect attempts, reconnects, slow consumption, the close. */
  status (options: { signal?: AbortSignal } = {}): ChatSubscription<StatusEvent> {
    return this.router.status(options.signal)
  }

  /**
   * Waits until every call made so far has its answer (sends acknowledged),
   * refusing new ones meanwhile, then closes.
   */
  async drain (): Promise<void> {
    await this.calls.drain()
    await this.close()
  }

  /**
   * Says goodbye and closes for good. Calls still waiting reject with
   * `connection_closed`; iterators end after what they already hold.
   */
  async close (): Promise<void> {
    if (this.state !== 'closed' && this.state !== 'closing') {
      this.state = 'closing'
      this.stopReconnecting.abort()
      if (this.connection !== undefined) this.connection.close()
      else this.terminate(undefined)
    }
    await this.closed
  }

  async [Symbol.asyncDispose] (): Promise<void> {
    await this.close()
  }

  // ---- connections

  /** Opens a connection and logs in; on a reconnect, then rejoins rooms, resumes iterators and resends calls. */
  private async open (attempt: number, callerSignal?: AbortSignal): Promise<void> {
    // A connect or login that never answers (a black hole) must not stall reconnecting for good.
    // Reconnecting, the server's own heartbeat timeout says how long a live server may stay silent.
    const timeoutMs = this.options.connectTimeoutMs ??
      (attempt > 0 && this.server !== undefined ? Math.max(2_000, this.server.heartbeatTimeoutMs) : 10_000)
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = AbortSignal.any([timeout, this.stopReconnecting.signal, ...callerSignal === undefined ? [] : [callerSignal]])
    try {
      await this.openWithin(attempt, signal)
    } catch (err) {
      if (timeout.aborted && callerSignal?.aborted !== true) {
        throw new ChatError(ErrorCodes.TIMEOUT, `no answer from the server within ${timeoutMs} ms`, { cause: err })
      }
      throw err
    }
  }

  private async openWithin (attempt: number, signal: AbortSignal): Promise<void> {
    const transport = this.options.transport ?? tcpTransport
    const duplex = await transport(this.address, { signal })
    const connection = new ClientConnection(duplex, {
      maxFrameBytes: this.options.maxFrameBytes ?? 64 * 1024,
      maxQueuedBytes: this.options.maxQueuedBytes ?? 8 * 1024 * 1024,
      closeTimeoutMs: this.options.closeTimeoutMs ?? 2_000
    }, this.handler)
    const { username, password, register } = this.options
    const hello: RequestBody = { type: 'hello', v: PROTOCOL_VERSION, username }
    if (password !== undefined) hello.password = password
    if (register === true && attempt === 0) hello.register = true
    if (this.session !== undefined) hello.resume = this.session
    // A resumed session may still be in its rooms: their live messages can come before the rejoin,
    // and must wait for the catch-up.
    this.resumeTracker.startResuming()
    let welcome: WelcomeMessage
    try {
      welcome = await this.calls.request<WelcomeMessage>(connection, hello, true, signal).reply
    } catch (err) {
      connection.abort(err as ChatError)
      throw err
    }
    if (this.state === 'closing' || this.state === 'closed') {
      connection.close()
      throw new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the client was closed')
    }
    this.username = welcome.username
    this.registered = welcome.registered
    this.session = welcome.session
    this.server = {
      version: welcome.v,
      heartbeatIntervalMs: welcome.heartbeatIntervalMs,
      heartbeatTimeoutMs: welcome.heartbeatTimeoutMs,
      maxFrameBytes: welcome.maxFrameBytes,
      maxTextBytes: welcome.maxTextBytes
    }
    this.connection = connection
    this.state = 'connected'
    connection.watchLiveness(welcome.heartbeatIntervalMs, welcome.heartbeatTimeoutMs)
    if (attempt > 0) {
      this.emit({ type: 'reconnect', attempt })
      this.resume(connection)
    }
  }

  /**
   * On a new connection, in this order (the server handles requests in
   * order): rejoin every room, replay what each missed, re-issue unfinished
   * `since` replays, then send again every call that had no answer.
   */
  private resume (connection: ClientConnection): void {
    this.resumeTracker.resume(connection)
    this.calls.resendWaiting(connection)
  }

  private readonly handler: ConnectionHandler = {
    onMessage: message => { this.dispatch(message) },
    mustPause: () => this.mustPause(),
    onPause: () => { this.emit({ type: 'slow_consumer' }) },
    onClose: (connection, reason) => { this.connectionClosed(connection, reason) }
  }

  private connectionClosed (connection: ClientConnection, reason: ChatError | undefined): void {
    this.calls.connectionLost(connection, reason ?? new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the connection was closed'))
    if (connection !== this.connection) return // a login attempt that failed: open() reports it
    this.connection = undefined
    if (this.state === 'closing' || reason === undefined) {
      this.terminate(undefined)
    } else if (!this.reconnectOptions.reconnect || FINAL_DISCONNECTS.has(reason.code)) {
      this.terminate(reason)
    } else {
      this.state = 'reconnecting'
      this.emit({ type: 'disconnect', error: reason })
      void this.reconnect(reason)
    }
  }

  private async reconnect (lastError: ChatError): Promise<void> {
    let attempt = 1
    for (; mayRetry(this.reconnectOptions, attempt); attempt++) {
      const delayMs = reconnectDelay(this.reconnectOptions, attempt)
      this.emit({ type: 'reconnecting', attempt, delayMs })
      try {
        await sleep(delayMs, undefined, { signal: this.stopReconnecting.signal })
      } catch {
        return // closed meanwhile
      }
      if (this.state !== 'reconnecting') return
      try {
        await this.open(attempt)
        return
      } catch (err) {
        if (this.state !== 'reconnecting') return
        lastError = err instanceof ChatError ? err : new ChatError(ErrorCodes.CONNECT_FAILED, String(err), { cause: err })
        if (FINAL_LOGIN_ERRORS.has(lastError.code)) {
          this.terminate(lastError)
          return
        }
      }
    }
    this.terminate(new ChatError(ErrorCodes.RECONNECT_FAILED,
      `gave up reconnecting after ${attempt - 1} attempt(s): ${lastError.message}`, { cause: lastError }))
  }

  /** Closed for good: settle everything that waits on the client. */
  private terminate (reason: ChatError | undefined): void {
    if (this.state === 'closed') return
    this.state = 'closed'
    this.stopReconnecting.abort()
    this.calls.rejectAll(reason ?? new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the client was closed'))
    this.router.endAll(reason)
    this.resolveClosed(reason)
  }

  // ---- calls

  /** An app call: sent now if connected, else when the client reconnects (or it times out). */
  private call<R extends ServerReply = ServerReply> (body: RequestBody, { signal }: CallOptions): Promise<R> {
    if (this.state === 'closing' || this.state === 'closed') {
      return Promise.reject(new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the client is closed'))
    }
    // A connection that said goodbye takes nothing more: the next one will.
    const connection = this.connection !== undefined && this.state === 'connected' && this.connection.isWritable ? this.connection : undefined
    return this.calls.call(body, connection, signal) as Promise<R>
  }

  private checkText (text: string): void {
    const limit = this.server?.maxTextBytes
    // Only count bytes when the text could be over: most texts are far shorter.
    if (limit !== undefined && text.length * 3 > limit && textEncoder.encode(text).byteLength > limit) {
      throw new ChatError(ErrorCodes.MESSAGE_TOO_LONG, `text exceeds the server's limit of ${limit} bytes`)
    }
  }

  /**
   * Stop reading while an iterator is full, unless a call awaits its reply:
   * the reply may be behind the messages, and the server's own bound
   * (`slow_consumer`) limits how much can arrive meanwhile.
   */
  private mustPause (): boolean {
    return !this.calls.holdsReading && this.router.isFull
  }

  private emit (event: StatusEvent): void {
    this.router.emit(event)
  }

  // ---- dispatch

  private dispatch (message: ServerMessage): void {
    switch (message.type) {
      case 'msg':
        this.resumeTracker.route(message)
        return
      case 'presence': {
        const event: PresenceEvent = { type: message.event, room: message.room, user: message.user }
        if (message.reason !== undefined) event.reason = message.reason
        this.router.deliverPresence(event)
        return
      }
      case 'error': {
        const call = message.re === undefined ? undefined : this.calls.get(message.re)
        if (call !== undefined) this.calls.settle(call, new ChatError(message.code, message.message))
        return
      }
      case 'joined': {
        // An app's join starts tracking the room at its newest id; a rejoin after a reconnect starts the catch-up.
        const call = this.calls.get(message.re)
        if (call?.resend === true) this.resumeTracker.joined(message.room, message.lastId)
        else if (call?.connection !== undefined) this.resumeTracker.rejoined(call.connection, message.room, message.lastId)
        break
      }
      case 'replay_done':
        this.resumeTracker.replayDone(message.re, message.lastId)
        break
      case 'ping': case 'pong': case 'bye':
        return
    }
    const call = this.calls.get(message.re)
    if (call !== undefined) this.calls.settle(call, message)
  }
}
