import { ErrorCodes } from '@chat/protocol'
import type { LeaveReason, PresenceMessage, RoomInfo } from '@chat/protocol'
import type { Redis } from 'ioredis'
import type { Delivery, Outgoing } from '../commit/delivery.js'
import { encodeText } from '../commit/message-frame.js'
import type { Engine, MemberList, NameClaim, NodeDelivery, OnlineUser, RemoteUser, RoomJoin, RoomSignal } from '../engine/engine.js'
import type { FullLogger } from '../logger.js'
import type { RoomRegistry } from '../rooms/room-registry.js'
import type { Session } from '../session/session.js'
import { StoreError, StoreErrorCodes } from '../store/store-error.js'
import { roomStream } from '../store/store.js'
import type { StoredMessage } from '../store/store.js'
import { ClusterChannels } from './cluster-channels.js'
import { ClusterCommit } from './cluster-commit.js'
import type { CommitStore } from './cluster-commit.js'
import { LuaScript } from './lua-script.js'
import { CLAIM_NAME, RELEASE_NAME } from './name-scripts.js'
import { NodeLease } from './node-lease.js'
import { JOIN_ROOM, LEAVE_ROOM, ROOM_LIST, ROOM_MEMBERS } from './room-scripts.js'
import { RoomFeeds } from './room-feeds.js'
import { redisKeys } from './redis-keys.js'
import type { RedisKeys } from './redis-keys.js'
import { ClusterSignals } from './cluster-signals.js'
import type { RoomSignalPayload, TypingToPayload } from './cluster-signals.js'

const claimScript = new LuaScript('claim name', CLAIM_NAME)
const releaseScript = new LuaScript('release name', RELEASE_NAME)
const joinScript = new LuaScript('join', JOIN_ROOM)
const leaveScript = new LuaScript('leave', LEAVE_ROOM)
const membersScript = new LuaScript('members', ROOM_MEMBERS)
const roomListScript = new LuaScript('rooms', ROOM_LIST)

/** A name's entry in Redis (`P users`). */
interface UserEntry {
  node: string
  sid: string
  token: string
  identity: string
  username: string
}

/** What the cluster engine reads of the store besides its commits. */
export interface ClusterStore extends CommitStore {
  readAfter: (stream: string, after: number, limit: number) => Promise<StoredMessage[]> | StoredMessage[]
  lastId: (stream: string) => Promise<number> | number
}

export interface ClusterEngineOptions {
  prefix: string
  nodeId: string
  leaseMs: number
  presenceLimit: number
  maxListedMembers: number
  logger: FullLogger
}

/**
 * The engine of a server in a cluster: names, rooms and ids live in Redis,
 * shared by every node; connections and their sessions stay on the node
 * they came to. Names are claimed, rooms joined and left by Lua scripts
 * (atomic, one round trip); messages are committed in batches (`ClusterCommit`)
 * and published on their room's channel, which every node with members of
 * the room subscribes to and fans out locally, in id order (`RoomFeeds`).
 * Joins and leaves are published on the same channel, so they fall among
 * the messages in the same order on every node.
 */
export class ClusterEngine implements Engine {
  /** Keys are checked in the commit script (atomic across nodes): no lookup before. */
  readonly checksKeysAtCommit = true
  private readonly prefix: string
  private readonly nodeId: string
  /** This node's sessions by session id (`<node>#<n>`), and back. */
  private readonly sessions = new Map<string, Session>()
  private readonly sids = new WeakMap<Session, string>()
  /** This node's sessions by user key (where direct messages published to this node go). */
  private readonly byKey = new Map<string, Session>()
  /** Joins waiting for Redis, by room: the room's channel stays subscribed meanwhile. */
  private readonly pendingJoins = new Map<string, number>()
  private readonly subscribing = new Map<string, Promise<void>>()
  private readonly feeds: RoomFeeds
  private readonly channels: ClusterChannels
  private readonly commits: ClusterCommit
  private readonly lease: NodeLease
  private readonly keys: RedisKeys
  /** Typing events and read receipts, across the nodes. */
  private readonly signals: ClusterSignals
  /** Leaves and releases that failed while Redis was away: run again once it is back. */
  private retries: Array<() => Promise<unknown>> = []
  private nextSid = 0

  constructor (
    private readonly redis: Redis,
    subscriber: Redis,
    private readonly store: ClusterStore,
    private readonly rooms: RoomRegistry,
    private readonly node: NodeDelivery,
    private readonly options: ClusterEngineOptions
  ) {
    this.prefix = options.prefix
    this.nodeId = options.nodeId
    this.keys = redisKeys(options.prefix)
    this.signals = new ClusterSignals(redis, this.keys, this.nodeId, node, {
      here: userKey => this.byKey.get(userKey),
      find: async userKey => await this.findUser(userKey)
    }, options.logger)
    this.commits = new ClusterCommit(store, node)
    this.feeds = new RoomFeeds({
      readAfter: async (room, after, limit) => await this.store.readAfter(roomStream(room), after, limit),
      messages: (room, messages) => { this.node.deliver(messages.map(m => outgoing(m, room))) },
      presence: (room, event, sid) => {
        this.node.presence(room, event, sid === undefined ? undefined : this.sessions.get(sid))
        // A typist of another node who left (or whose node was retired) types there no more.
        if (event.event === 'leave') this.signals.left(room, event.user)
      },
      lost: (room, after, next, err) => { options.logger.error(`messages ${after + 1}-${next - 1} of ${room} could not be read to fill a gap in its channel: ${String(err)}`) }
    })
    this.channels = new ClusterChannels(subscriber, this.prefix, this.nodeId, {
      room: (room, payload) => { this.onRoomPayload(room, payload) },
      node: payload => { this.onNodePayload(payload) }
    })
    this.lease = new NodeLease(redis, { ...options, onLost: () => { this.dropEveryone() } })
    redis.on('ready', () => { this.runRetries() })
  }

  /** Joins the cluster: this node's channel, then its lease (before it serves anyone). */
  async start (): Promise<void> {
    await this.channels.start()
    await this.lease.start()
  }

  get userCount (): number {
    return this.lease.users
  }

  async findUser (userKey: string): Promise<OnlineUser | undefined> {
    const entry = await this.userEntry(userKey)
    if (entry === undefined) return undefined
    if (entry.node === this.nodeId) return this.sessions.get(entry.sid)
    return remoteUser(userKey, entry)
  }

  async claimName (userKey: string, resume: string | undefined, create: (replacing: OnlineUser | undefined) => Session): Promise<NameClaim | undefined> {
    const raw = await this.call('read a name', async () => await this.redis.hget(`${this.prefix}users`, userKey))
    const current = raw === null ? undefined : JSON.parse(raw) as UserEntry
    if (current !== undefined && current.token !== resume) return undefined
    const local = current?.node === this.nodeId ? this.sessions.get(current.sid) : undefined
    const session = create(local ?? (current === undefined ? undefined : remoteUser(userKey, current)))
    const sid = `${this.nodeId}#${++this.nextSid}`
    const entry: UserEntry = { node: this.nodeId, sid, token: session.token, identity: session.identity, username: session.username }
    const reply = await claimScript.run<Array<number | string>>(this.redis, [this.prefix, userKey, raw ?? '', JSON.stringify(entry), this.nodeId, sid, session.username])
    // Someone took (or gave up) the name between the read and the claim.
    if (reply[0] === 0) return undefined
    this.sessions.set(sid, session)
    this.sids.set(session, sid)
    this.byKey.set(userKey, session)
    if (local !== undefined) {
      this.forget(local)
      this.rooms.transfer(local, session)
      return { session, replaced: local }
    }
    // Taken over from another node: the rooms it held are this session's now, here.
    for (const room of reply.slice(1) as string[]) {
      await this.subscribed(room)
      this.rooms.join(room, session)
      this.feeds.start(room, await this.store.lastId(roomStream(room)))
    }
    return { session }
  }

  releaseName (session: Session): void {
    const sid = this.sids.get(session)
    if (sid === undefined) return
    this.forget(session)
    void this.retrying(async () => await releaseScript.run(this.redis, [this.prefix, session.userKey, sid, this.nodeId]))
  }

  async join (room: string, session: Session): Promise<RoomJoin> {
    const sid = this.sids.get(session)
    // Logged out or replaced meanwhile: its connection is ending, and the answer goes nowhere.
    if (sid === undefined) return { added: false, size: 0, names: [], lastId: 0 }
    const { presenceLimit, maxListedMembers } = this.options
    this.pendingJoins.set(room, (this.pendingJoins.get(room) ?? 0) + 1)
    let reply: Array<number | string>
    try {
      // Subscribed first: every commit after the join's reads reaches this node.
      await this.subscribed(room)
      reply = await joinScript.run(this.redis, [this.prefix, room, session.userKey, sid, session.username, presenceLimit, maxListedMembers])
    } finally {
      const left = this.pendingJoins.get(room)! - 1
      if (left === 0) this.pendingJoins.delete(room)
      else this.pendingJoins.set(room, left)
    }
    const [added, size, lastId] = reply as number[]
    if (!session.isActive) {
      // Gone while Redis answered: logout did not know of this room.
      void this.retrying(async () => await leaveScript.run(this.redis, [this.prefix, room, session.userKey, sid, 'disconnected', presenceLimit]))
      this.unsubscribeIfUnused(room)
    } else {
      this.rooms.join(room, session)
      this.feeds.start(room, lastId)
    }
    return { added: added === 1, size, names: reply.slice(3) as string[], lastId }
  }

  /** Resolves once Redis has it (or, if Redis is away, once it is queued for when Redis is back: this server has it already). */
  async leave (room: string, session: Session, reason: LeaveReason): Promise<void> {
    const sid = this.sids.get(session) ?? this.retiredSid(session)
    const was = this.rooms.leave(room, session)
    this.unsubscribeIfUnused(room)
    if (was === undefined || sid === undefined) return
    await this.retrying(async () => await leaveScript.run(this.redis, [this.prefix, room, session.userKey, sid, reason, this.options.presenceLimit]))
  }

  async members (room: string, limit: number): Promise<MemberList | undefined> {
    const reply = await membersScript.run<Array<number | string>>(this.redis, [this.prefix, room, limit])
    const size = reply[0] as number
    return size === 0 ? undefined : { names: reply.slice(1) as string[], size }
  }

  async roomList (limit?: number): Promise<RoomInfo[]> {
    const reply = await roomListScript.run<Array<number | string>>(this.redis, [this.prefix, limit ?? -1])
    const list: RoomInfo[] = []
    for (let i = 0; i < reply.length; i += 2) list.push({ room: reply[i] as string, members: reply[i + 1] as number })
    return list
  }

  signalRoom (room: string, event: RoomSignal, aboutKey: string): void {
    this.signals.signalRoom(room, event, aboutKey)
  }

  typingTo (userKey: string, user: string, active: boolean): void {
    this.signals.typingTo(userKey, user, active)
  }

  publish (delivery: Delivery): void {
    this.commits.write(delivery)
  }

  flush (): void {
    this.commits.flush()
  }

  /** Leaves the cluster: commits settle, this node's users and places go (announced), connections to Redis close. */
  async close (): Promise<void> {
    this.signals.close()
    await this.commits.settled()
    await this.lease.stop().catch(err => { this.options.logger.warn(`leaving the cluster cleanly failed (the lease will expire): ${(err as Error).message}`) })
  }

  private async userEntry (userKey: string): Promise<UserEntry | undefined> {
    const raw = await this.call('read a name', async () => await this.redis.hget(`${this.prefix}users`, userKey))
    return raw === null ? undefined : JSON.parse(raw) as UserEntry
  }

  /** Subscribes to a room's channel if this node is not yet (and starts collecting it). */
  private async subscribed (room: string): Promise<void> {
    if (this.feeds.has(room)) return await this.subscribing.get(room)
    this.feeds.open(room)
    const done = this.channels.subscribe(room).catch(err => {
      this.unsubscribeIfUnused(room)
      throw err
    }).finally(() => { this.subscribing.delete(room) })
    this.subscribing.set(room, done)
    await done
  }

  private unsubscribeIfUnused (room: string): void {
    if (this.rooms.get(room) !== undefined || this.pendingJoins.has(room) || !this.feeds.has(room)) return
    this.feeds.close(room)
    this.channels.unsubscribe(room).catch(err => { this.options.logger.warn(String(err)) })
  }

  private onRoomPayload (room: string, payload: string): void {
    const event = JSON.parse(payload) as RoomPayload
    if (event.t === 's') {
      this.signals.fromRoom(room, event)
      return
    }
    if (event.t === 'm') {
      const stream = roomStream(room)
      this.feeds.push(room, { kind: 'messages', messages: event.m.map(([id, ts, from, text]) => ({ stream, id, ts, from, text, room })) })
      return
    }
    const presence: PresenceMessage = { type: 'presence', event: event.e, room, user: event.u }
    if (event.r !== undefined) presence.reason = event.r
    this.feeds.push(room, { kind: 'presence', event: presence, sid: event.sid })
  }

  private onNodePayload (payload: string): void {
    const event = JSON.parse(payload) as NodePayload
    if (event.t === 'ty') {
      this.signals.fromNode(event)
      return
    }
    if (event.t === 'dm') {
      const out: Outgoing[] = []
      for (const [id, ts, from, to, text, targetKey, stream] of event.m) {
        const target = this.byKey.get(targetKey)
        if (target === undefined || !target.isActive) continue
        out.push({ message: { stream, id, ts, from, to, text }, encoded: encodeText(text, Buffer.byteLength(text)), target })
      }
      if (out.length > 0) this.node.deliver(out)
      return
    }
    // Its name was claimed on another node (a resume): its places there are that session's now.
    const session = this.sessions.get(event.sid)
    if (session === undefined) return
    this.forget(session)
    for (const room of [...session.rooms]) {
      this.rooms.leave(room, session)
      this.unsubscribeIfUnused(room)
    }
    session.connection.fail(ErrorCodes.SESSION_REPLACED, 'you logged in again from another connection')
  }

  /** Every connection here goes (this node was retired while alive): clients log in again, here or elsewhere. */
  private dropEveryone (): void {
    for (const session of [...this.sessions.values()]) {
      session.connection.fail(ErrorCodes.SERVER_SHUTDOWN, 'this server lost its place in the cluster: log in again')
    }
  }

  private forget (session: Session): void {
    const sid = this.sids.get(session)
    if (sid === undefined) return
    this.sessions.delete(sid)
    this.retired.set(session, sid)
    this.sids.delete(session)
    if (this.byKey.get(session.userKey) === session) this.byKey.delete(session.userKey)
  }

  /** Sessions forgotten (logged out, replaced) keep their id for the leaves that follow. */
  private readonly retired = new WeakMap<Session, string>()
  private retiredSid (session: Session): string | undefined {
    return this.retired.get(session)
  }

  /** Runs a cleanup now, and again once Redis is back if it failed. */
  private async retrying (cleanup: () => Promise<unknown>): Promise<void> {
    await cleanup().catch(err => {
      this.options.logger.warn(`${(err as Error).message}: will retry once Redis is back`)
      this.retries.push(cleanup)
    })
  }

  private runRetries (): void {
    const retries = this.retries
    this.retries = []
    for (const cleanup of retries) void this.retrying(cleanup)
  }

  private async call<T> (what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run()
    } catch (err) {
      throw new StoreError(StoreErrorCodes.STORAGE_ERROR, `redis: ${what} failed: ${(err as Error).message}`, { cause: err })
    }
  }
}

type RoomPayload =
  | { t: 'm', m: Array<[number, number, string, string]> }
  | { t: 'p', e: 'join' | 'leave', u: string, r?: LeaveReason, sid?: string }
  | RoomSignalPayload

type NodePayload =
  | { t: 'dm', m: Array<[number, number, string, string, string, string, string]> }
  | { t: 'replaced', k: string, sid: string }
  | TypingToPayload

function remoteUser (userKey: string, entry: UserEntry): RemoteUser {
  return { username: entry.username, userKey, identity: entry.identity, token: entry.token, node: entry.node }
}

function outgoing (message: StoredMessage, room: string): Outgoing {
  return { message, encoded: encodeText(message.text, Buffer.byteLength(message.text)), room }
}
