import { ErrorCodes, idempotencyKeys } from '@chat/protocol'
import type {
  AckMessage, ChatMessage, HistoryPageMessage, JoinedMessage, MarkerMessage, MemberListMessage, RoomInfo, RoomListMessage,
  ServerReply, WelcomeMessage
} from '@chat/protocol'
import type { AbortOptions } from '@chat/transport'
import { abortable } from './abortable.js'
import { CallTable } from './call-table.js'
import type { RequestBody } from './call-table.js'
import { ChatError } from './chat-error.js'
import type { ClientConnection } from './client-connection.js'
import { ClientMarkers, markerTarget } from './client-markers.js'
import type { ChatEvent, ChatEventOf, HistoryPage, JoinResult, ReadMarker, SendAck, ServerInfo } from './client-types.js'
import { ConnectionKeeper } from './connection-keeper.js'
import type { BatchMessageFilter, ConnectOptions, EventFilter, HistoryOptions, MessageFilter } from './options.js'
import { ResumeTracker } from './resume-tracker.js'
import { ServerMessages } from './server-messages.js'
import type { StatusEvent } from './status.js'
import type { ServerAddress } from './server-addresses.js'
import type { ChatSubscription } from './subscription.js'
import { SubscriptionRouter } from './subscription-router.js'
import { TypingSender, typingKey } from './typing-sender.js'
import type { TypingTarget } from './typing-sender.js'
import { checkWellFormed } from './well-formed.js'

const DEFAULT_HIGH_WATER_MARK = 1024
const textEncoder = new TextEncoder()
/** The options of a call given none (one object for all). */
const NO_OPTIONS: AbortOptions = Object.freeze({})

/** What a send or dm resolves with: `stored` only for a direct message kept in an offline inbox. */
function sendAck (ack: AckMessage): SendAck {
  return ack.stored === true ? { id: ack.id, ts: ack.ts, stored: true } : { id: ack.id, ts: ack.ts }
}

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

  // The parts (see the README's Layout): this class is the API and the glue between them.
  private readonly keeper: ConnectionKeeper
  private readonly calls: CallTable<ClientConnection>
  private readonly router: SubscriptionRouter
  private readonly resumeTracker: ResumeTracker<ClientConnection>
  /** The idempotency key of each send and dm: this client's own, in order (cheap for the server to index). */
  private readonly nextKey = idempotencyKeys()
  /** The app's typing, debounced, per connection. */
  private readonly typist: TypingSender<ClientConnection>
  /** Read markers: `markRead` calls merged, those learned, those that moved while we were away told. */
  private readonly markers: ClientMarkers
  /** Where each message from the server goes. */
  private readonly fromServer: ServerMessages
  private resolveClosed!: (reason: ChatError | undefined) => void

  /** @internal Use `connect()`. */
  constructor (addresses: readonly ServerAddress[], options: ConnectOptions) {
    this.closed = new Promise(resolve => { this.resolveClosed = resolve })
    this.calls = new CallTable({
      offlineTimeoutMs: options.offlineTimeoutMs ?? 30_000,
      maxPendingCalls: options.maxPendingCalls ?? 10_000
    })
    this.keeper = new ConnectionKeeper(addresses, options, {
      onMessage: message => { this.fromServer.dispatch(message) },
      mustPause: () => this.mustPause(),
      login: async (connection, hello, signal) => {
        this.resumeTracker.startResuming()
        return await this.calls.request<WelcomeMessage>(connection, hello, true, signal).reply
      },
      reconnected: connection => {
        // In this order (the server handles requests in order): rejoins and replays, then the app's calls.
        this.resumeTracker.resume(connection)
        this.markers.reconnected(connection)
        this.calls.resendWaiting(connection)
      },
      connectionLost: (connection, error) => { this.calls.connectionLost(connection, error) },
      emit: event => { this.router.emit(event) },
      closed: reason => { this.closedForGood(reason) }
    })
    this.router = new SubscriptionRouter(options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK, this.keeper.onSpace)
    this.resumeTracker = new ResumeTracker<ClientConnection>(this.router, {
      request: (connection, body) => this.calls.request(connection, body, false),
      resumeFailed: (room, error) => {
        this.router.endRoom(room, error)
        this.router.emit({ type: 'resume_failed', room, error })
      }
    })
    this.typist = new TypingSender((connection, target, active) => { this.sendTyping(connection, target, active) })
    this.markers = new ClientMarkers({
      call: async (body, options) => await this.call<MarkerMessage>(body, options),
      request: async (connection, body) => await this.calls.request<MarkerMessage>(connection, body, false).reply,
      deliver: event => { this.router.deliverEvent(event) },
      username: () => this.username
    })
    this.fromServer = new ServerMessages(this.calls, this.resumeTracker, this.router, this.markers)
  }

  /** The name the server logged us in with ('' before the first login). */
  get username (): string {
    return this.keeper.username
  }

  /** Logged in to a registered account (false: a guest name). */
  get registered (): boolean {
    return this.keeper.registered
  }

  /** What the server told us about itself at the last login. */
  get server (): ServerInfo | undefined {
    return this.keeper.server
  }

  /** The address of the server the client is logged in to (while reconnecting: the one it was on), as a URL string. */
  get url (): string {
    return this.keeper.url
  }

  /** True once the client is closed for good. */
  get isClosed (): boolean {
    return this.keeper.state === 'closed'
  }

  /** True while a connection is up and logged in. */
  get isConnected (): boolean {
    return this.keeper.state === 'connected'
  }

  /** @internal The first connection and login; `connect()` calls it once. */
  async start (signal?: AbortSignal): Promise<void> {
    await this.keeper.start(signal)
  }

  /** Joins a room (joining one you are in is fine); resolves with its members, you included. */
  async join (room: string, options: AbortOptions = {}): Promise<JoinResult> {
    const reply = await this.call<JoinedMessage>({ type: 'join', room }, options)
    const result: JoinResult = reply.truncated === true ? { room: reply.room, members: reply.members, truncated: true } : { room: reply.room, members: reply.members }
    if (reply.read !== undefined) {
      result.read = reply.read
      result.unread = reply.unread ?? Math.max(0, reply.lastId - reply.read)
    }
    return result
  }

  async leave (room: string, options: AbortOptions = {}): Promise<void> {
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
  send (room: string, text: string, options: AbortOptions = NO_OPTIONS): Promise<SendAck> {
    // Not async, and no options object made per call: a send is the SDK's hottest call (one promise for the app, one for the reply).
    try {
      this.checkText(text)
    } catch (err) {
      return Promise.reject(err)
    }
    // The server ends our typing there with the message: the next keystroke starts it again.
    if (this.typist.size !== 0) this.typist.forget(typingKey({ room }))
    return this.call<AckMessage>({ type: 'send', room, text, key: this.nextKey() }, options).then(sendAck)
  }

  /**
   * Sends a direct message, exactly once like `send`. To a registered user
   * who is offline it resolves with `stored: true` (delivered at their next
   * login); to a name that is neither online nor registered it rejects with
   * `no_such_user` (`user_offline` on a server in `open` mode).
   */
  dm (to: string, text: string, options: AbortOptions = NO_OPTIONS): Promise<SendAck> {
    try {
      this.checkText(text)
    } catch (err) {
      return Promise.reject(err)
    }
    if (this.typist.size !== 0) this.typist.forget(typingKey({ to }))
    return this.call<AckMessage>({ type: 'dm', to, text, key: this.nextKey() }, options).then(sendAck)
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

  /**
   * Says the user is typing in a room (`'general'`) or to someone
   * (`{ to: 'bob' }`), or stopped (`active: false`). Call it on every
   * keystroke: it sends `active: true` once, then again at most every 3 s
   * while calls keep coming (the server lets it lapse 5 s after the last),
   * and `active: false` only if a true is standing. Sending a message there
   * ends it by itself. It never throws: typing is best effort, sent only
   * while connected, and not at all to a server that does not know it.
   */
  typing (of: string | { to: string }, active = true): void {
    this.typist.update(this.keeper.writableConnection, typeof of === 'string' ? { room: of } : { to: of.to }, active)
  }

  /**
   * Moves your read marker (registered users) of a room you are in, or of
   * your conversation with a user (`{ with: 'bob' }`), to `id`: the newest
   * message you have shown. It never moves backwards, nor past the newest
   * message. Resolves with the marker as it now stands. Calls for the same
   * stream made while one is on its way go as one, with the highest id.
   * Rejects with `registration_required` for a guest, `not_member`, or
   * `unknown_type` from a server without read markers.
   */
  async markRead (of: string | { with: string }, id: number, options: AbortOptions = {}): Promise<ReadMarker> {
    return await abortable(this.markers.markRead(markerTarget(of), id), options.signal, 'markRead()')
  }

  /** Your read marker of a room or conversation, and the messages after it, without moving it. Rejects as `markRead` does. */
  async unread (of: string | { with: string }, options: AbortOptions = {}): Promise<ReadMarker> {
    return await this.markers.unread(markerTarget(of), options)
  }

  /** Rooms that have members, with how many. */
  async rooms (options: AbortOptions = {}): Promise<RoomInfo[]> {
    return (await this.call<RoomListMessage>({ type: 'rooms' }, options)).rooms
  }

  /** Who is in a room. Rejects with `no_such_room` if no one is. */
  async members (room: string, options: AbortOptions = {}): Promise<string[]> {
    return (await this.call<MemberListMessage>({ type: 'members', room }, options)).members
  }

  /**
   * Chat messages from now on, matching `filter`. Each call is its own
   * iterator; `break` ends only that one. Across reconnects it goes on from
   * the last message it had. It ends when the client closes, or throws the
   * `ChatError` that closed it (or `history_gone` if resuming was impossible).
   * With `batch: true` each step yields an array: every message queued, in order.
   */
  messages (filter: BatchMessageFilter): ChatSubscription<ChatMessage[]>
  messages (filter?: MessageFilter): ChatSubscription<ChatMessage>
  // What the iterator yields follows `filter.batch` (the router reads it); the overloads say so to the app.
  messages (filter: MessageFilter | BatchMessageFilter = {}): ChatSubscription<ChatMessage | ChatMessage[]> {
    const { room, from, direct, since } = filter
    if (since !== undefined) {
      if (room === undefined) throw new TypeError('messages({ since }) needs a room')
      return this.resumeTracker.since(room, since, from, this.keeper.connection,
        (accepts, onEnd) => this.router.messages<ChatMessage | ChatMessage[]>(accepts, filter, onEnd))
    }
    const accepts = (m: ChatMessage): boolean =>
      (room === undefined || m.room === room) &&
      (from === undefined || m.from === from) &&
      (direct === undefined || direct === (m.to !== undefined))
    const subscription = this.router.messages<ChatMessage | ChatMessage[]>(accepts, filter)
    this.router.claimUnclaimed(subscription)
    return subscription
  }

  /**
   * Events from now on: presence (joins and leaves) in the rooms you are in,
   * typing, and read markers that moved. `types` keeps some kinds only
   * (`events({ types: ['join', 'leave'] })` yields `PresenceEvent`s), `room` one room's.
   */
  events<K extends ChatEvent['type']> (filter: EventFilter & { types: readonly K[] }): ChatSubscription<ChatEventOf<K>>
  events (filter?: EventFilter): ChatSubscription<ChatEvent>
  events (filter: EventFilter = {}): ChatSubscription<ChatEvent> {
    const { room, types } = filter
    return this.router.events(e => (room === undefined || e.room === room) && (types === undefined || types.includes(e.type)), filter.signal)
  }

  /** What happens to the connection: disconnects, reconnect attempts, reconnects, slow consumption, the close. */
  status (options: AbortOptions = {}): ChatSubscription<StatusEvent> {
    return this.router.status(options.signal)
  }

  /**
   * Waits until every call made so far has its answer (sends acknowledged),
   * refusing new ones meanwhile, then closes. Aborting it does what an
   * aborted `close()` does.
   */
  async drain (options: AbortOptions = {}): Promise<void> {
    await this.unlessAborted(this.calls.drain(), options.signal, 'drain()')
    await this.close(options)
  }

  /**
   * Says goodbye and closes for good. Calls still waiting reject with
   * `connection_closed`; iterators end after what they already hold.
   * Aborting the wait for the server's goodbye cuts the connection at once:
   * the client is closed when this rejects with `aborted`.
   */
  async close (options: AbortOptions = {}): Promise<void> {
    this.keeper.close()
    await this.unlessAborted(this.closed, options.signal, 'close()')
  }

  async [Symbol.asyncDispose] (): Promise<void> {
    await this.close()
  }

  /** Waits for `promise` (one that never rejects); if `signal` aborts first, cuts the connection now and rejects with `aborted`. */
  private async unlessAborted (promise: Promise<unknown>, signal: AbortSignal | undefined, what: string): Promise<void> {
    if (this.isClosed) return
    try {
      await abortable(promise, signal, what)
    } catch (err) {
      this.keeper.cut()
      throw err
    }
  }

  /** An app call: sent now if connected, else when the client reconnects (or it times out). */
  private call<R extends ServerReply = ServerReply> (body: RequestBody, { signal }: AbortOptions): Promise<R> {
    const state = this.keeper.state
    if (state === 'closing' || state === 'closed') return Promise.reject(new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the client is closed'))
    try {
      checkWellFormed(body, body.type)
    } catch (err) {
      return Promise.reject(err)
    }
    return this.calls.call(body, this.keeper.writableConnection, signal) as Promise<R>
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

  /** Closed for good: settle everything that waits on the client. */
  private closedForGood (reason: ChatError | undefined): void {
    this.calls.rejectAll(reason ?? new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the client was closed'))
    this.router.endAll(reason)
    this.resolveClosed(reason)
  }

  /** One typing request, bound to its connection (never sent again): its answer matters only if it is `unknown_type`. */
  private sendTyping (connection: ClientConnection, target: TypingTarget, active: boolean): void {
    const body: RequestBody = { type: 'typing', ...target, active }
    try {
      checkWellFormed(body, 'typing')
    } catch {
      return
    }
    this.calls.request(connection, body, false).reply.catch((err: ChatError) => {
      if (err.code === ErrorCodes.UNKNOWN_TYPE) this.typist.unsupported(connection)
    })
  }
}
