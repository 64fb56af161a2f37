import type { Redis } from 'ioredis'
import type { NodeDelivery, OnlineUser, RemoteUser, RoomSignal } from '../engine/engine.js'
import type { FullLogger } from '../logger.js'
import type { Session } from '../session/session.js'
import type { RedisKeys } from './redis-keys.js'
import { RemoteTypists } from './remote-typists.js'

/** A typing event or a read receipt on a room's channel, from node `n`, about the user `k` (not told). */
export interface RoomSignalPayload { t: 's', n: string, k: string, e: RoomSignal }

/** On a node's channel: `u` (user key `f`) typing to the user `k` of that node, or stopped. */
export interface TypingToPayload { t: 'ty', k: string, u: string, f: string, a: boolean }

/** Where the signals find users: this node's sessions, and anyone's node. */
export interface SignalLookup {
  here: (userKey: string) => Session | undefined
  find: (userKey: string) => Promise<OnlineUser | undefined>
}

/**
 * Typing events and read receipts across the cluster (PROTOCOL.md §17):
 * published on the room's channel (every node with members of it, this one
 * too, so a stop follows the message that ended it) or on the recipient's
 * node's channel; not through `RoomFeeds`, since they are not ordered with
 * messages, and fire-and-forget (a refresh or the next move follows). Other
 * nodes' typists are watched here (`RemoteTypists`): their node may die.
 */
export class ClusterSignals {
  private readonly remoteTypists: RemoteTypists

  constructor (
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly nodeId: string,
    private readonly node: NodeDelivery,
    private readonly users: SignalLookup,
    private readonly logger: FullLogger
  ) {
    this.remoteTypists = new RemoteTypists(node)
  }

  /** To every member of the room on every node but the one it is about. */
  signalRoom (room: string, event: RoomSignal, aboutKey: string): void {
    const payload: RoomSignalPayload = { t: 's', n: this.nodeId, k: aboutKey, e: event }
    this.tell(this.keys.roomChannel(room), payload)
  }

  /** To the recipient here, or on their node's channel; nobody if they are offline. */
  typingTo (userKey: string, user: string, active: boolean): void {
    const here = this.users.here(userKey)
    if (here !== undefined) {
      if (here.isActive) this.node.typingTo(here, user, active)
      return
    }
    this.users.find(userKey).then(online => {
      if (online === undefined || !isRemote(online)) return
      const payload: TypingToPayload = { t: 'ty', k: userKey, u: user, f: user.toLowerCase(), a: active }
      this.tell(this.keys.nodeChannel(online.node), payload)
    }, err => { this.logger.debug(`typing to ${userKey} not sent: ${(err as Error).message}`) })
  }

  /** A signal from a room's channel: to the members here at once; another node's typist is watched. */
  fromRoom (room: string, payload: RoomSignalPayload): void {
    if (payload.n !== this.nodeId && payload.e.type === 'typing') this.remoteTypists.room(room, payload.e, payload.k)
    else this.node.signal(room, payload.e, payload.k)
  }

  /** Typing to a user of this node, from another node. */
  fromNode (payload: TypingToPayload): void {
    const target = this.users.here(payload.k)
    if (target !== undefined) this.remoteTypists.direct(target, payload.u, payload.f, payload.a)
  }

  /** A user left a room (or their node was retired): a typist of another node types there no more. */
  left (room: string, user: string): void {
    this.remoteTypists.left(room, user)
  }

  close (): void {
    this.remoteTypists.close()
  }

  private tell (channel: string, payload: RoomSignalPayload | TypingToPayload): void {
    this.redis.publish(channel, JSON.stringify(payload)).catch(err => { this.logger.debug(`publish to ${channel} failed: ${(err as Error).message}`) })
  }
}

/** Someone online on another node. */
function isRemote (online: OnlineUser): online is RemoteUser {
  return typeof (online as Partial<RemoteUser>).node === 'string'
}
