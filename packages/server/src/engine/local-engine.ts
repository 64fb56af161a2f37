import type { LeaveReason, RoomInfo } from '@chat/protocol'
import type { Delivery } from '../commit/delivery.js'
import { GroupCommitLog } from '../commit/group-commit-log.js'
import { memberNames } from '../rooms/room-registry.js'
import type { RoomRegistry } from '../rooms/room-registry.js'
import type { Session } from '../session/session.js'
import { isLocalStore, roomStream } from '../store/store.js'
import type { LocalStore, Store } from '../store/store.js'
import type { Engine, MemberList, NameClaim, NodeDelivery, OnlineUser, RoomJoin, RoomSignal } from './engine.js'
import { IdSequences } from './id-sequences.js'
import { OnlineUsers } from './online-users.js'

export interface LocalEngineOptions {
  /** Rooms with more members do not announce joins and leaves (see ServerOptions). */
  presenceLimit: number
  /** Names listed in a join's reply, at most. */
  maxListedMembers: number
}

/**
 * The store a `LocalEngine` runs on: one that answers at once (its commit and
 * its ids are synchronous). A store of promises needs an engine of its own.
 */
export function localStoreOf (store: Store): LocalStore {
  if (isLocalStore(store)) return store
  throw new TypeError('the built-in engine needs a store that answers at once (a LocalStore, with append: SqliteStore, MemoryStore); give a store of promises an engine of its own (ServerOptions.engine)')
}

/**
 * The engine of a server alone: who is online and who is in which room are
 * this process's own maps, ids come from its own sequences, and commits are
 * its own group commits to the store. Every answer is immediate (no
 * promise), so the path of a message is as short as it can be.
 */
export class LocalEngine implements Engine {
  /** A store that finds stored keys as it appends (SQLite, memory): no keyed send is looked up before its commit. */
  readonly checksKeysAtCommit: boolean
  /** Its group commit runs at the end of each turn, synchronously. */
  readonly commitsWithinTurn = true
  private readonly users = new OnlineUsers()
  private readonly ids: IdSequences
  private readonly log: GroupCommitLog<Delivery>

  constructor (
    private readonly store: LocalStore,
    private readonly rooms: RoomRegistry,
    private readonly node: NodeDelivery,
    private readonly options: LocalEngineOptions
  ) {
    this.checksKeysAtCommit = store.checksKeysAtAppend === true
    this.ids = new IdSequences(stream => store.lastId(stream))
    this.log = new GroupCommitLog<Delivery>(store, (batch, error, seconds) => {
      if (error === undefined) {
        // A duplicate gave its id to the next message of its stream: that stream's next id is read again.
        for (const d of batch) if (d.duplicateOf !== undefined) this.ids.forget(d.message.stream)
        node.committed(batch, seconds)
        return
      }
      // The failed ids were never used: the next ones are read from the store again.
      for (const d of batch) this.ids.forget(d.message.stream)
      node.failed(batch, error)
    })
  }

  get userCount (): number {
    return this.users.size
  }

  findUser (userKey: string): OnlineUser | undefined {
    return this.users.get(userKey)
  }

  claimName (userKey: string, resume: string | undefined, create: (replacing: OnlineUser | undefined) => Session): NameClaim | undefined {
    const current = this.users.get(userKey)
    if (current !== undefined && current.token !== resume) return undefined
    const session = create(current)
    this.users.add(session)
    if (current === undefined) return { session }
    this.rooms.transfer(current, session)
    return { session, replaced: current }
  }

  releaseName (session: Session): void {
    this.users.remove(session)
  }

  join (name: string, session: Session): RoomJoin {
    // Read first: a store that fails refuses the join before anything changed (nobody told of it).
    const lastId = this.store.lastId(roomStream(name))
    const { room, added } = this.rooms.join(name, session)
    const size = room.members.size
    // Past the presence limit no one is told of joins and leaves, so a list would go stale at once;
    // and naming the room in every join of a big room costs N² bytes. `members` still answers.
    const quiet = size > this.options.presenceLimit
    if (added && !quiet) this.node.presence(name, { type: 'presence', event: 'join', room: name, user: session.username }, session)
    return {
      added,
      size,
      names: quiet ? [] : memberNames(room, this.options.maxListedMembers),
      // Committed messages only: those still being written reach this member when they commit.
      lastId
    }
  }

  leave (name: string, session: Session, reason: LeaveReason): void {
    const room = this.rooms.leave(name, session)
    if (room === undefined || room.members.size >= this.options.presenceLimit) return
    this.node.presence(name, { type: 'presence', event: 'leave', room: name, user: session.username, reason })
  }

  members (name: string, limit: number): MemberList | undefined {
    const room = this.rooms.get(name)
    return room === undefined ? undefined : { names: memberNames(room, limit), size: room.members.size }
  }

  roomList (limit?: number): RoomInfo[] {
    return this.rooms.list(limit).map(room => ({ room: room.name, members: room.members.size }))
  }

  signalRoom (room: string, event: RoomSignal, aboutKey: string): void {
    this.node.signal(room, event, aboutKey)
  }

  typingTo (userKey: string, user: string, active: boolean): void {
    const target = this.users.get(userKey)
    if (target !== undefined && target.isActive) this.node.typingTo(target, user, active)
  }

  publish (delivery: Delivery): void {
    delivery.message.id = this.ids.next(delivery.message.stream)
    this.log.write(delivery)
  }

  flush (): void {
    this.log.flush()
  }

  close (): void {
    this.log.flush()
  }
}
