import {
  decodeServerMessage, decodeStage, encodeFrame, ErrorCodes, PROTOCOL_VERSION, ProtocolError
} from '@chat/protocol'
import type {
  AckMessage, ChatMessage, ClientMessage, ClientRequest, HistoryPageMessage, JoinedMessage, LeaveReason,
  MemberListMessage, ReplayDoneMessage, RoomInfo, RoomListMessage, ServerMessage, ServerReply, WelcomeMessage
} from '@chat/protocol'
import { FrameQueue } from '@chat/transport'
import type { Duplex } from '@chat/transport'
import { pipe } from 'it-pipe'
import { ChatError } from './chat-error.js'
import type { CallOptions, ConnectOptions, EventFilter, HistoryOptions, MessageFilter } from './options.js'
import { Subscription } from './subscription.js'

/** A presence change in a room the client is in. */
export interface PresenceEvent {
  type: 'join' | 'leave'
  room: string
  user: string
  /** For leaves: left the room, quit cleanly, or was disconnected. */
  reason?: LeaveReason
}

/** What the server told us about itself at login. */
export interface ServerInfo {
  version: number
  heartbeatIntervalMs: number
  heartbeatTimeoutMs: number
  maxFrameBytes: number
  maxTextBytes: number
}

export interface SendAck {
  id: number
  ts: number
  /** A direct message to a registered user who is offline: kept for their next login. */
  stored?: boolean
}

/** A page of stored messages, oldest first. */
export interface HistoryPage {
  messages: ChatMessage[]
  /** Pass as options to `history()` for the next page (older, or with `after` newer); absent at the end. */
  next?: { before: number } | { after: number }
  /** Older messages existed but were removed by the server's retention. */
  gone?: boolean
}
export interface JoinResult {
  room: string
  members: string[]
  /** True when the room had more members than fit in one reply. */
  truncated?: boolean
}

type RequestBody = ClientRequest extends infer R ? R extends ClientRequest ? Omit<R, 'req'> : never : never

interface PendingCall {
  resolve: (reply: ServerReply) => void
  reject: (err: ChatError) => void
  /** A reply the app awaits: reading must go on until it arrives (false for a replay, which the app drains). */
  holdsReading: boolean
}

/** A `messages({ room, since })` iterator: stored messages first, then live ones after `liveAfter`. */
interface Replay {
  subscription: Subscription<ChatMessage>
  /** Live messages with ids above this are new to the iterator; until the replay is done, none are. */
  liveAfter: number
}

const DEFAULT_HIGH_WATER_MARK = 1024
const textEncoder = new TextEncoder()

/**
 * A logged-in connection to a chat server. Get one from `connect()`.
 *
 * Every call resolves with the server's reply or rejects with a `ChatError`
 * carrying the server's code. `messages()` and `events()` are async iterators
 * with backpressure: while one is full, the client stops reading the socket.
 */
export class ChatClient implements AsyncDisposable {
  /** Settles when the connection has ended: with `undefined` after `close()`, or with the reason it was lost. */
  readonly closed: Promise<ChatError | undefined>
  username = ''
  /** Logged in to a registered account (false: a guest name). */
  registered = false
  server: ServerInfo | undefined

  private readonly queue: FrameQueue
  private readonly pending = new Map<number, PendingCall>()
  private readonly messageSubscriptions = new Set<Subscription<ChatMessage>>()
  private readonly eventSubscriptions = new Set<Subscription<PresenceEvent>>()
  private readonly replays = new Map<number, Replay>()
  /** Direct messages no iterator wanted yet (those kept offline arrive right at login): the next iterator that accepts them gets them. */
  private unclaimed: ChatMessage[] = []
  /** Calls whose replies the app awaits. */
  private awaitedReplies = 0
  private readonly highWaterMark: number
  private readonly maxFrameBytes: number
  private nextReq = 0
  private closing = false
  private ended = false
  /** Why the connection is ending, if the server or the network decided it. */
  private reason: ChatError | undefined
  private resumeReading: (() => void) | undefined
  private resolveClosed!: (reason: ChatError | undefined) => void
  private destroyTimer: NodeJS.Timeout | undefined

  /** @internal Use `connect()`. */
  constructor (private readonly duplex: Duplex, private readonly options: ConnectOptions) {
    this.highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK
    this.maxFrameBytes = options.maxFrameBytes ?? 64 * 1024
    this.queue = new FrameQueue({ maxQueuedBytes: options.maxQueuedBytes ?? 8 * 1024 * 1024 })
    this.closed = new Promise(resolve => { this.resolveClosed = resolve })
    duplex.sink(this.queue).catch(() => {})
    void this.readLoop()
  }

  /** True once the connection has ended. */
  get isClosed (): boolean {
    return this.ended
  }

  /** @internal Logs in; `connect()` calls it once. */
  async login (signal?: AbortSignal): Promise<void> {
    const { username, password, register } = this.options
    const hello: RequestBody = { type: 'hello', v: PROTOCOL_VERSION, username }
    if (password !== undefined) hello.password = password
    if (register === true) hello.register = true
    const welcome = await this.call<WelcomeMessage>(hello, { signal })
    this.username = welcome.username
    this.registered = welcome.registered
    this.server = {
      version: welcome.v,
      heartbeatIntervalMs: welcome.heartbeatIntervalMs,
      heartbeatTimeoutMs: welcome.heartbeatTimeoutMs,
      maxFrameBytes: welcome.maxFrameBytes,
      maxTextBytes: welcome.maxTextBytes
    }
  }

  /** Joins a room (joining one you are in is fine); resolves with its members, you included. */
  async join (room: string, options: CallOptions = {}): Promise<JoinResult> {
    const reply = await this.call<JoinedMessage>({ type: 'join', room }, options)
    return reply.truncated === true ? { room: reply.room, members: reply.members, truncated: true } : { room: reply.room, members: reply.members }
  }

  async leave (room: string, options: CallOptions = {}): Promise<void> {
    await this.call({ type: 'leave', room }, options)
  }

  /** Sends to a room you joined. Resolves once the server accepted it, with its id and timestamp. */
  async send (room: string, text: string, options: CallOptions = {}): Promise<SendAck> {
    this.checkText(text)
    const ack = await this.call<AckMessage>({ type: 'send', room, text }, options)
    return { id: ack.id, ts: ack.ts }
  }

  /** Sends a direct message. Rejects with `user_offline` if `to` is not connected. */
  async dm (to: string, text: string, options: CallOptions = {}): Promise<SendAck> {
    this.checkText(text)
    const ack = await this.call<AckMessage>({ type: 'dm', to, text }, options)
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
   * iterator; `break` ends only that one. It ends when the client closes, or
   * throws the `ChatError` that ended the connection.
   */
  messages (filter: MessageFilter = {}): AsyncIterableIterator<ChatMessage> {
    const { room, from, direct, since } = filter
    if (since !== undefined) {
      if (room === undefined) throw new TypeError('messages({ since }) needs a room')
      return this.replay(room, since, filter)
    }
    const accepts = (m: ChatMessage): boolean =>
      (room === undefined || m.room === room) &&
      (from === undefined || m.from === from) &&
      (direct === undefined || direct === (m.to !== undefined))
    const subscription = this.subscribe(this.messageSubscriptions, accepts, filter.signal)
    this.claimUnclaimed(subscription)
    return subscription
  }

  /**
   * Stored messages of `room` after `since`, then live ones: the server
   * replays from its store and hands over to live messages in one step, so
   * there is no gap and no duplicate at the seam.
   */
  private replay (room: string, since: number, filter: MessageFilter): Subscription<ChatMessage> {
    const { from } = filter
    const req = ++this.nextReq
    const state: Replay = { subscription: undefined!, liveAfter: Infinity }
    // Replayed messages are routed to this iterator alone (see dispatch); live ones are checked here.
    const accepts = (m: ChatMessage): boolean =>
      (m.replay === req || (m.replay === undefined && m.room === room && m.id > state.liveAfter)) &&
      (from === undefined || m.from === from)
    state.subscription = this.subscribe(this.messageSubscriptions, accepts, filter.signal)
    if (state.subscription.isFinished) return state.subscription
    this.replays.set(req, state)
    this.call<ReplayDoneMessage>({ type: 'replay', room, after: since }, { signal: filter.signal }, req, false)
      .catch((err: ChatError) => { state.subscription.finish(err) })
      .finally(() => { this.replays.delete(req) })
    return state.subscription
  }

  private claimUnclaimed (subscription: Subscription<ChatMessage>): void {
    if (this.unclaimed.length === 0) return
    const kept: ChatMessage[] = []
    for (const m of this.unclaimed) {
      if (subscription.accepts(m)) subscription.offer(m)
      else kept.push(m)
    }
    this.unclaimed = kept
    this.onSpace()
  }

  /** Presence events (joins and leaves) in the rooms you are in, from now on. */
  events (filter: EventFilter = {}): AsyncIterableIterator<PresenceEvent> {
    const { room } = filter
    return this.subscribe(this.eventSubscriptions, e => room === undefined || e.room === room, filter.signal)
  }

  /**
   * Says goodbye and closes. Calls still waiting reject with
   * `connection_closed`; iterators end after what they already hold.
   */
  async close (): Promise<void> {
    if (!this.closing && !this.ended) {
      this.closing = true
      this.queue.end(encodeFrame({ type: 'bye' }, this.maxFrameBytes))
      this.destroyTimer = setTimeout(() => { this.duplex.destroy() }, this.options.closeTimeoutMs ?? 2_000)
    }
    await this.closed
  }

  async [Symbol.asyncDispose] (): Promise<void> {
    await this.close()
  }

  private subscribe<T> (set: Set<Subscription<T>>, accepts: (item: T) => boolean, signal?: AbortSignal): Subscription<T> {
    const abort = (): void => { subscription.finish(new ChatError(ErrorCodes.ABORTED, 'the iterator was aborted', { cause: signal?.reason })) }
    const subscription = new Subscription<T>(accepts, this.onSpace, s => {
      set.delete(s)
      signal?.removeEventListener('abort', abort)
    })
    if (this.ended) {
      subscription.finish(this.reason)
      return subscription
    }
    set.add(subscription)
    if (signal?.aborted === true) abort()
    else signal?.addEventListener('abort', abort, { once: true })
    return subscription
  }

  private checkText (text: string): void {
    const limit = this.server?.maxTextBytes
    // Only count bytes when the text could be over: most texts are far shorter.
    if (limit !== undefined && text.length * 3 > limit && textEncoder.encode(text).byteLength > limit) {
      throw new ChatError(ErrorCodes.MESSAGE_TOO_LONG, `text exceeds the server's limit of ${limit} bytes`)
    }
  }

  private async call<R extends ServerReply = ServerReply> (
    body: RequestBody, { signal }: CallOptions, req = ++this.nextReq, holdsReading = true
  ): Promise<R> {
    if (this.closing || this.ended) throw new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the client is closed')
    if (signal?.aborted === true) throw new ChatError(ErrorCodes.ABORTED, 'the call was aborted', { cause: signal.reason })
    const frame = this.encode({ ...body, req } as ClientMessage)
    return await new Promise<R>((resolve, reject) => {
      const settle = (): void => {
        signal?.removeEventListener('abort', abort)
        if (holdsReading) this.awaitedReplies--
      }
      const abort = (): void => {
        this.pending.delete(req)
        settle()
        reject(new ChatError(ErrorCodes.ABORTED, 'the call was aborted', { cause: signal?.reason }))
      }
      signal?.addEventListener('abort', abort, { once: true })
      if (holdsReading) this.awaitedReplies++
      this.pending.set(req, {
        resolve: reply => { settle(); resolve(reply as R) },
        reject: err => { settle(); reject(err) },
        holdsReading
      })
      if (!this.queue.push(frame)) {
        this.pending.delete(req)
        settle()
        reject(new ChatError(ErrorCodes.OUTBOUND_FULL, 'too much is waiting to be sent: the server is not reading'))
      }
      // A call awaiting its reply lets the read loop read past the high-water mark.
      this.onSpace()
    })
  }

  private encode (message: ClientMessage): Uint8Array {
    try {
      return encodeFrame(message, this.maxFrameBytes)
    } catch (err) {
      if (err instanceof ProtocolError) throw new ChatError(ErrorCodes.MESSAGE_TOO_LONG, err.message)
      throw err
    }
  }

  private readonly onSpace = (): void => {
    const resume = this.resumeReading
    if (resume !== undefined) {
      this.resumeReading = undefined
      resume()
    }
  }

  /** One pass per socket chunk: decode every frame in it, dispatch, then pause while an iterator is full. */
  private async readLoop (): Promise<void> {
    let sourceEnded = false
    try {
      const batches = pipe(this.duplex.source, decodeStage(decodeServerMessage, {
        maxFrameBytes: this.maxFrameBytes,
        onEnd: () => { sourceEnded = true }
      }))
      let transportClosed = false
      void this.duplex.closed.then(() => { transportClosed = true; this.onSpace() })
      for await (const batch of batches) {
        for (const item of batch) {
          if (!(item instanceof ProtocolError)) this.dispatch(item)
          // A message we can't read (a newer server's type) is skipped: the stream is intact.
        }
        while (!transportClosed && this.mustPause()) await this.pauseReading()
      }
    } catch (err) {
      if (sourceEnded) {
        // Cut in the middle of a frame: the connection was lost, the data was not bad.
        this.reason ??= new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the connection was lost')
      } else {
        this.reason ??= err instanceof ProtocolError
          ? new ChatError(err.code, `bad data from the server: ${err.message}`)
          : new ChatError(ErrorCodes.CONNECTION_CLOSED, String(err), { cause: err })
      }
    }
    this.finish()
  }

  /**
   * Waits until the app makes room. Meanwhile the client pings the server
   * itself (the pings it can't read go unanswered): the server then drops a
   * paused client only for falling too far behind (`slow_consumer`), and a
   * dropped client learns of it from the failed write.
   */
  private async pauseReading (): Promise<void> {
    // Often enough to notice a drop soon after the server's close timeout; a ping is a few bytes.
    const interval = Math.min(this.server?.heartbeatIntervalMs ?? 10_000, 1_000)
    let keepalive: NodeJS.Timeout | undefined
    await new Promise<void>(resolve => {
      this.resumeReading = resolve
      keepalive = setInterval(() => { this.queue.push(encodeFrame({ type: 'ping', n: 0 })) }, interval)
    })
    clearInterval(keepalive)
  }

  /**
   * Stop reading while an iterator is full, unless a call awaits its reply:
   * the reply may be behind the messages, and the server's own bound
   * (`slow_consumer`) limits how much can arrive meanwhile.
   */
  private mustPause (): boolean {
    if (this.awaitedReplies > 0) return false
    if (this.unclaimed.length >= this.highWaterMark) return true
    for (const s of this.messageSubscriptions) if (s.size >= this.highWaterMark) return true
    for (const s of this.eventSubscriptions) if (s.size >= this.highWaterMark) return true
    return false
  }

  private dispatch (message: ServerMessage): void {
    switch (message.type) {
      case 'msg': {
        if (message.replay !== undefined) {
          this.replays.get(message.replay)?.subscription.offer(message)
          return
        }
        let claimed = false
        for (const s of this.messageSubscriptions) {
          if (s.accepts(message)) {
            s.offer(message)
            claimed = true
          }
        }
        if (!claimed && message.to !== undefined) this.unclaimed.push(message)
        return
      }
      case 'presence': {
        const event: PresenceEvent = { type: message.event, room: message.room, user: message.user }
        if (message.reason !== undefined) event.reason = message.reason
        for (const s of this.eventSubscriptions) if (s.accepts(event)) s.offer(event)
        return
      }
      case 'ping':
        if (!this.closing) this.queue.push(encodeFrame({ type: 'pong', n: message.n }))
        return
      case 'pong':
        return
      case 'bye':
        if (!this.closing) {
          this.reason ??= new ChatError(message.code ?? ErrorCodes.CONNECTION_CLOSED, message.message ?? 'the server said goodbye')
        }
        this.queue.end()
        return
      case 'error': {
        const call = message.re === undefined ? undefined : this.pending.get(message.re)
        if (call !== undefined) {
          this.pending.delete(message.re!)
          call.reject(new ChatError(message.code, message.message))
        } else if (message.fatal === true) {
          this.reason ??= new ChatError(message.code, message.message)
        }
        return
      }
      case 'replay_done': {
        // Synchronously: live messages later in this very chunk are the iterator's already.
        const replay = this.replays.get(message.re)
        if (replay !== undefined) replay.liveAfter = message.lastId
        this.settleCall(message)
        return
      }
      default:
        this.settleCall(message)
    }
  }

  private settleCall (reply: ServerReply): void {
    const call = this.pending.get(reply.re)
    if (call !== undefined) {
      this.pending.delete(reply.re)
      call.resolve(reply)
    }
  }

  /** The connection is over: settle everything that waits on it. */
  private finish (): void {
    if (this.ended) return
    this.ended = true
    clearTimeout(this.destroyTimer)
    const reason = this.closing ? undefined : (this.reason ?? new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the connection was lost'))
    this.reason = reason
    const callError = reason ?? new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the client was closed')
    for (const call of this.pending.values()) call.reject(callError)
    this.pending.clear()
    for (const s of [...this.messageSubscriptions]) s.finish(reason)
    for (const s of [...this.eventSubscriptions]) s.finish(reason)
    this.queue.clear()
    this.queue.end()
    this.duplex.destroy()
    this.resolveClosed(reason)
  }
}
