import type { LeaveReason, PresenceMessage, ReadEvent, RoomInfo, TypingEvent } from '@chat/protocol'
import type { Delivery, Outgoing } from '../commit/delivery.js'
import type { RoomRegistry } from '../rooms/room-registry.js'
import type { Session } from '../session/session.js'
import type { MaybePromise } from '../maybe-promise.js'
import type { Store } from '../store/store.js'

/** A logged-in user, wherever they are connected (a `Session` on this server). */
export interface OnlineUser {
  readonly username: string
  readonly userKey: string
  readonly identity: string
  /** The token that lets a reconnecting client take the session over. */
  readonly token: string
}

/** Someone logged in on another server of the cluster (an engine shared by servers answers `findUser` with it). */
export interface RemoteUser extends OnlineUser {
  /** The id of the server (node) holding the session. */
  readonly node: string
}

/** A name taken: the new session, and the session of this server it took over, if any. */
export interface NameClaim {
  session: Session
  replaced?: Session
}

/** What a join did, for the reply. */
export interface RoomJoin {
  /** False if the session was a member already. */
  added: boolean
  /** Members now, the joiner included. */
  size: number
  /** The first members' names (empty above the presence limit: a big room announces nobody). */
  names: string[]
  /** The newest committed message id of the room (what a new member starts after). */
  lastId: number
}

/**
 * What is told to whoever is connected now and never stored: typing events
 * and read receipts. Not ordered with messages (a receiver may see one a
 * little before or after a message committed at the same time).
 */
export type RoomSignal = TypingEvent | ReadEvent

export interface MemberList {
  names: string[]
  size: number
}

/**
 * Everything that is global to the chat service: who is online, who is in
 * which room, message ids, and the commit of messages with their fan-out.
 * One server runs `LocalEngine` (in memory, in this process); several
 * servers sharing rooms run an engine over a shared store, and each keeps
 * delivering to its own connections through the `NodeDelivery` it is given.
 *
 * Methods that a shared engine can only answer after a round trip return a
 * `MaybePromise`; the rest are fire-and-forget (their effects reach the
 * members through `NodeDelivery`). Requests of one connection are handled in
 * order: while one waits, its connection's next requests wait too.
 */
export interface Engine {
  /** Logged-in users on the whole service. */
  readonly userCount: number
  /**
   * True: the engine looks each message's idempotency key up inside its
   * commit (atomically with the write, as a shared store can; `LocalEngine`
   * on a store that `checksKeysAtAppend`), and marks a key stored before as
   * `Delivery.duplicateOf`, using no id for it; the server then checks
   * only the keys being written, never the store. Else the server looks
   * committed keys up in the store before publishing.
   */
  readonly checksKeysAtCommit?: boolean
  /**
   * True: with `checksKeysAtCommit`, a message accepted in one turn of the
   * event loop is committed (stored or failed) in that turn, before anything
   * read later is handled (`LocalEngine`: a synchronous store, a group commit
   * per turn), and the commit finds a key written twice within it. A retry
   * then either joins its original's commit, where the store finds it, or
   * comes after it: the server keeps no table of the keys being written.
   */
  readonly commitsWithinTurn?: boolean

  /** The user logged in under this (lower-cased) name, if any. */
  findUser: (userKey: string) => MaybePromise<OnlineUser | undefined>
  /**
   * Takes a name, unless a session holds it that `resume` (its token) does
   * not name: then undefined (`name_taken`). `create` makes the new session,
   * told whose place it takes (a resume: a guest keeps its identity); the
   * replaced session's rooms pass to it silently, and the caller closes the
   * replaced one.
   */
  claimName: (userKey: string, resume: string | undefined, create: (replacing: OnlineUser | undefined) => Session) => MaybePromise<NameClaim | undefined>
  /** Gives the name up, if this session still holds it. */
  releaseName: (session: Session) => void

  /** Adds a member to a room (made on first join) and tells the others. */
  join: (room: string, session: Session) => MaybePromise<RoomJoin>
  /** Removes a member (a room with nobody left goes away) and tells the others why. */
  leave: (room: string, session: Session, reason: LeaveReason) => MaybePromise<void>
  /** A room's members, the first `limit` of them; undefined if nobody is in it. */
  members: (room: string, limit: number) => MaybePromise<MemberList | undefined>
  /** Rooms that have members, by name: the first `limit` (default all; a reply lists only what fits in a frame). */
  roomList: (limit?: number) => MaybePromise<RoomInfo[]>

  /**
   * Takes a message for the next commit: gives it its id now or at the
   * commit, stores it with its batch, then hands the batch to
   * `NodeDelivery.committed` (or `failed`), in commit order.
   */
  publish: (delivery: Delivery) => void
  /**
   * Tells a room's members on every server a typing event or a read
   * receipt about the user `aboutKey` (a user key), who is not told.
   * Fire-and-forget.
   */
  signalRoom: (room: string, event: RoomSignal, aboutKey: string) => void
  /**
   * Tells the user `userKey`, wherever connected (nobody if offline), that
   * `user` is typing to them or stopped. Fire-and-forget.
   */
  typingTo: (userKey: string, user: string, active: boolean) => void

  /** Commits what is waiting now (before a connection ends, at shutdown, before reading an inbox). */
  flush: () => void
  close: () => MaybePromise<void>
}

/** What an engine calls on this server: deliveries to the connections it holds. */
export interface NodeDelivery {
  /** A committed batch, in commit order: fan room messages out to the members here, direct ones to their recipients, acknowledge the senders. */
  committed: (batch: Delivery[], commitSeconds?: number) => void
  /** Committed messages, for their readers here (an engine whose messages reach this server apart from their acks). */
  deliver: (messages: readonly Outgoing[]) => void
  /** A committed batch's acks, to its senders here (the messages themselves go by `deliver`). */
  acknowledge: (batch: readonly Delivery[], commitSeconds?: number) => void
  /** A batch that could not be stored: its senders are told, nothing was delivered. */
  failed: (batch: Delivery[], error: Error) => void
  /** A join or a leave, for the members of the room here (but `except`). */
  presence: (room: string, event: PresenceMessage, except?: Session) => void
  /** A typing event or a read receipt, for the members of the room here but the user it is about (`aboutKey`). */
  signal: (room: string, event: RoomSignal, aboutKey: string) => void
  /** A direct typing event, for its recipient here (`to` is set to their name). */
  typingTo: (target: Session, user: string, active: boolean) => void
}

/** What a server gives the engine it runs on. */
export interface EngineContext {
  store: Store
  /** This server's members of each room: the engine keeps it up to date, the fan-out reads it. */
  rooms: RoomRegistry
  /** Deliveries to this server's connections. */
  delivery: NodeDelivery
  /** Rooms with more members do not announce joins and leaves. */
  presenceLimit: number
  /** Names listed in a join's reply, at most. */
  maxListedMembers: number
}

/** Makes the engine of a server (`ServerOptions.engine`); the default makes a `LocalEngine`. */
export type EngineFactory = (context: EngineContext) => Engine
