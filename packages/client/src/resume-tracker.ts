import type { ChatMessage } from '@chat/protocol'
import type { RequestBody } from './call-table.js'
import type { ChatError } from './chat-error.js'
import { SeenDirect } from './seen-direct.js'
import type { Inbox } from './subscription.js'

/** What the tracker needs of a connection: whether it is over (a request failing with it is no news). */
export interface ResumeConnection {
  readonly isEnded: boolean
}

/** Where the tracker sends what it lets through (the SubscriptionRouter). */
export interface MessageSink {
  /** A room message, once, in order. */
  deliver: (message: ChatMessage) => unknown
  /** A direct message, once. */
  deliverDirect: (message: ChatMessage) => void
}

export interface ResumeTrackerHooks<C extends ResumeConnection> {
  /** Sends a rejoin or a replay on `connection`; `req` tags the replayed messages. */
  request: (connection: C, body: RequestBody) => { req: number, reply: Promise<unknown> }
  /** Catching up on `room` was impossible: its iterators must end with `error`. */
  resumeFailed: (room: string, error: ChatError) => void
}

/** What the client knows of a room it is in, to resume it after a reconnect. */
interface RoomState {
  /** The newest message id delivered to the iterators. */
  lastId: number
  /** Rejoined, and catching up: live messages are dropped until the replay reaches them. */
  resuming: boolean
}

/** A `messages({ room, since })` iterator: stored messages first, then live ones after `liveAfter`. */
interface SinceReplay {
  subscription: Inbox<ChatMessage>
  room: string
  /** The newest replayed id handed to the iterator: where to go on from after a reconnect. */
  lastId: number
  /** Live messages with ids above this are new to the iterator; until the replay is done, none are. */
  liveAfter: number
  done: boolean
}

/**
 * Each message once, in order, across reconnects. Per room it keeps the
 * newest id the iterators got; after a reconnect it rejoins, replays from
 * there, and drops the live messages the replay will bring and the ones
 * already had. It also runs `since` replays, and drops the direct messages a
 * resumed session is sent again.
 */
export class ResumeTracker<C extends ResumeConnection> {
  private readonly roomStates = new Map<string, RoomState>()
  private readonly sinceReplays = new Set<SinceReplay>()
  /** Replay requests in flight, by request id: of `since` iterators, and of rooms being resumed after a reconnect. */
  private readonly replays = new Map<number, SinceReplay>()
  private readonly roomResumes = new Map<number, string>()
  /** Direct messages seen lately: a resumed session gets them again from the server. */
  private readonly seenDirect = new SeenDirect()

  constructor (private readonly sink: MessageSink, private readonly hooks: ResumeTrackerHooks<C>) {}

  /** Rooms being tracked (the ones to rejoin after a reconnect). */
  get rooms (): string[] {
    return [...this.roomStates.keys()]
  }

  /** An app's join was answered: a new room is tracked from its newest message; joining again keeps what was delivered. */
  joined (room: string, lastId: number): void {
    if (!this.roomStates.has(room)) this.roomStates.set(room, { lastId, resuming: false })
  }

  /** An app's leave was answered: the room is not resumed any more. */
  left (room: string): void {
    this.roomStates.delete(room)
  }

  /**
   * A new connection is logging in. A resumed session may still be in its
   * rooms: their live messages can come before the rejoin, and must wait for the catch-up.
   */
  startResuming (): void {
    for (const state of this.roomStates.values()) state.resuming = true
  }

  /**
   * Logged in again: rejoin every room (the replies start the catch-ups, see
   * `rejoined`), then re-issue the unfinished `since` replays. The server
   * handles requests in order, so the caller resends app calls after this.
   */
  resume (connection: C): void {
    for (const room of this.roomStates.keys()) {
      this.hooks.request(connection, { type: 'join', room }).reply
        .catch((err: ChatError) => { if (!connection.isEnded) this.resumeFailed(room, err) })
    }
    for (const since of this.sinceReplays) if (!since.done) this.issueReplay(connection, since)
  }

  /**
   * A rejoin was answered (handled as it is read, before the messages behind
   * it): replay what was stored after the last message the iterators had.
   */
  rejoined (connection: C, room: string, lastId: number): void {
    const state = this.roomStates.get(room)
    if (state === undefined) return
    if (lastId <= state.lastId) {
      state.resuming = false
      return
    }
    const { req, reply } = this.hooks.request(connection, { type: 'replay', room, after: state.lastId })
    this.roomResumes.set(req, room)
    reply
      .catch((err: ChatError) => { if (!connection.isEnded) this.resumeFailed(room, err) })
      .finally(() => { this.roomResumes.delete(req) })
  }

  /**
   * A `messages({ room, since })` iterator: stored messages of `room` after
   * `after`, then live ones. The server replays from its store and hands over
   * to live messages in one step, so there is no gap and no duplicate at the
   * seam. `subscribe` makes the iterator; `connection`, if up, gets the replay now.
   */
  since<S extends Inbox<ChatMessage>> (
    room: string, after: number, from: string | undefined, connection: C | undefined,
    subscribe: (accepts: (m: ChatMessage) => boolean, onEnd: () => void) => S
  ): S {
    const state: SinceReplay = { subscription: undefined!, room, lastId: after, liveAfter: Infinity, done: false }
    // Replayed messages are routed to this iterator alone (see routeReplayed); live ones are checked here.
    const accepts = (m: ChatMessage): boolean => m.room === room && m.id > state.liveAfter && (from === undefined || m.from === from)
    const subscription = subscribe(accepts, () => { this.sinceReplays.delete(state) })
    state.subscription = subscription
    if (subscription.isFinished) return subscription
    this.sinceReplays.add(state)
    if (connection !== undefined) this.issueReplay(connection, state)
    return subscription
  }

  /** Every chat message from the server, as it is read. */
  route (message: ChatMessage): void {
    if (message.replay !== undefined) {
      this.routeReplayed(message)
    } else if (message.room !== undefined) {
      this.deliverRoomMessage(message, false)
    } else if (this.seenDirect.firstTime(message)) { // else sent again after a resume: we had it
      this.sink.deliverDirect(message)
    }
  }

  /** The end of replay `re`, read synchronously: live messages later in this very chunk are new already. */
  replayDone (re: number, lastId: number): void {
    const since = this.replays.get(re)
    if (since !== undefined) {
      since.liveAfter = lastId
      since.done = true
    }
    const room = this.roomResumes.get(re)
    const state = room === undefined ? undefined : this.roomStates.get(room)
    if (state !== undefined) state.resuming = false
  }

  private routeReplayed (message: ChatMessage): void {
    const since = this.replays.get(message.replay!)
    const room = this.roomResumes.get(message.replay!)
    delete message.replay
    if (since !== undefined) {
      if (message.id > since.lastId) {
        since.lastId = message.id
        since.subscription.offer(message)
      }
    } else if (room !== undefined) {
      this.deliverRoomMessage(message, true)
    }
  }

  /** Each room message once, in order: what a reconnect replays and what arrives live meet without overlap. */
  private deliverRoomMessage (message: ChatMessage, replayed: boolean): void {
    const state = this.roomStates.get(message.room!)
    if (state !== undefined) {
      if (state.resuming && !replayed) return // the replay brings it
      if (message.id <= state.lastId) return
      state.lastId = message.id
    }
    this.sink.deliver(message)
  }

  private issueReplay (connection: C, since: SinceReplay): void {
    const { req, reply } = this.hooks.request(connection, { type: 'replay', room: since.room, after: since.lastId })
    this.replays.set(req, since)
    reply
      .catch((err: ChatError) => { if (!connection.isEnded) since.subscription.finish(err) })
      .finally(() => { this.replays.delete(req) })
  }

  private resumeFailed (room: string, error: ChatError): void {
    this.roomStates.delete(room)
    this.hooks.resumeFailed(room, error)
  }
}
