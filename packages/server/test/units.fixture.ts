/**
 * Shared pieces of the unit tests of the server's layers (engine, commit,
 * rooms, sessions, paged drains). Not a test file: it registers no tests,
 * but node's runner may load it as one (it lives under test/), which is harmless.
 *
 * Everything here is the real thing: a `Connection` over one end of a
 * `duplexPair()`, and a `Peer` on the other end that reads what the server
 * side sent, splits it with `FrameDecoder` and decodes it with
 * `decodeServerMessage`. The only stand-in is `RecordingStore`, a
 * `MemoryStore` that records its `append` calls and can be told to fail.
 */
import { decodeServerMessage, encodeFrame, FrameDecoder } from '@chat/protocol'
import type { ChatMessage, ServerMessage } from '@chat/protocol'
import { duplexPair } from '@chat/transport'
import type { Duplex, DuplexEvents, DuplexPairOptions } from '@chat/transport'
import { FanOut } from '../src/commit/fan-out.js'
import { IdempotencyKeys } from '../src/commit/idempotency-keys.js'
import { MessageIntake } from '../src/commit/message-intake.js'
import type { Delivery } from '../src/commit/delivery.js'
import { encodeText } from '../src/commit/message-frame.js'
import { Connection } from '../src/connection/connection.js'
import type { ConnectionEvents } from '../src/connection/connection.js'
import { LocalEngine } from '../src/engine/local-engine.js'
import { silentLogger } from '../src/logger.js'
import { resolveOptions } from '../src/options.js'
import type { ResolvedServerOptions, ServerOptions } from '../src/options.js'
import { RoomRegistry } from '../src/rooms/room-registry.js'
import { logout } from '../src/session/logout.js'
import { Session } from '../src/session/session.js'
import { MemoryStore } from '../src/store/memory-store.js'
import { conversationStream, roomStream } from '../src/store/store.js'
import type { MessageWrite, StoredMessage, StreamKey } from '../src/store/store.js'
import { ServerCounters } from '../src/ops/server-counters.js'

/** How long any wait lasts before the test fails with what it was waiting for. */
export const WAIT_MS = 5_000

/** Rejects with `what` if `promise` has not settled within `ms`. */
export async function within<T> (promise: Promise<T>, what: string, ms = WAIT_MS, details?: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms waiting for ${what}${details === undefined ? '' : ` (${details()})`}`))
    }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Server options as the server resolves them (silent logger). */
export function serverOptions (options: ServerOptions = {}): ResolvedServerOptions {
  return resolveOptions(options, silentLogger)
}

/** Barrier pongs carry numbers from here up; no test sends such a pong itself. */
const BARRIER_BASE = 1_000_000_000
let nextBarrier = BARRIER_BASE

/**
 * The client's end of a duplex pair: every chunk the server side wrote, as
 * it arrived, and the messages in them. Barrier pongs (see `barrier`) are
 * kept apart, in `barriers`.
 */
export class Peer implements DuplexEvents {
  /** Chunks as they arrived (copies). */
  readonly chunks: Buffer[] = []
  /** Decoded messages in arrival order, barrier pongs left out. */
  readonly messages: ServerMessage[] = []
  /** For each entry of `messages`: the index of the chunk it ended in. */
  readonly chunkOf: number[] = []
  readonly barriers = new Set<number>()
  ended = false
  closed = false
  decodeError: Error | undefined
  private readonly frames: FrameDecoder
  private readonly listeners = new Set<() => void>()

  constructor (readonly name: string, readonly duplex: Duplex, maxFrameBytes = 1 << 20) {
    this.frames = new FrameDecoder(maxFrameBytes)
  }

  /** Starts reading (until then the server side's writes pile up in the transport). */
  start (): this {
    this.duplex.attach(this)
    return this
  }

  onData (chunk: Uint8Array): void {
    this.chunks.push(Buffer.from(chunk))
    try {
      for (const body of this.frames.push(chunk)) {
        const message = decodeServerMessage(body)
        if (message.type === 'pong' && message.n >= BARRIER_BASE) {
          this.barriers.add(message.n)
        } else {
          this.messages.push(message)
          this.chunkOf.push(this.chunks.length - 1)
        }
      }
    } catch (err) {
      this.decodeError ??= err as Error
    }
    this.notify()
  }

  onEnd (): void {
    this.ended = true
    this.notify()
  }

  onDrain (): void {}

  onClose (): void {
    this.closed = true
    this.notify()
  }

  /** Resolves once `condition()` holds (checked now and whenever something arrives); fails after WAIT_MS. */
  async until (condition: () => boolean, what: string): Promise<void> {
    if (this.check(condition)) return
    let listener: (() => void) | undefined
    const reached = new Promise<void>((resolve, reject) => {
      listener = () => {
        try {
          if (this.check(condition)) resolve()
        } catch (err) {
          reject(err as Error)
        }
      }
      this.listeners.add(listener)
    })
    try {
      await within(reached, `${this.name}: ${what}`, WAIT_MS, () => this.describe())
    } finally {
      this.listeners.delete(listener!)
    }
  }

  /** The first message (from the start) that matches, once it has arrived. */
  async first (predicate: (message: ServerMessage) => boolean, what: string): Promise<ServerMessage> {
    await this.until(() => this.messages.some(predicate), what)
    return this.messages.find(predicate)!
  }

  /** Messages of one type, in arrival order. */
  ofType<T extends ServerMessage['type']> (type: T): Array<Extract<ServerMessage, { type: T }>> {
    return this.messages.filter(m => m.type === type) as Array<Extract<ServerMessage, { type: T }>>
  }

  /** The reply carrying `re`, once it has arrived. */
  async reply (re: number): Promise<ServerMessage> {
    return await this.first(m => 're' in m && m.re === re, `the reply to request ${re}`)
  }

  describe (): string {
    const last = this.messages.slice(-6).map(m => JSON.stringify(m).slice(0, 160))
    return `${this.chunks.length} chunk(s), ${this.messages.length} message(s), ended=${this.ended}, closed=${this.closed}` +
      (this.decodeError === undefined ? '' : `, decode error: ${this.decodeError.message}`) +
      `, last: ${last.join(' | ') || '(none)'}`
  }

  private check (condition: () => boolean): boolean {
    if (this.decodeError !== undefined) throw new Error(`${this.name}: undecodable bytes from the server: ${this.decodeError.message}`)
    return condition()
  }

  private notify (): void {
    for (const listener of [...this.listeners]) listener()
  }
}

/** A server-side connection and the peer reading what it sends. */
export interface Link {
  name: string
  connection: Connection
  peer: Peer
  /** The client's end of the pair (destroy it to drop the connection). */
  client: Duplex
  session?: Session
}

/** A logged-in link. */
export interface Client extends Link {
  session: Session
}

/** A `Connection` over one end of a fresh `duplexPair()`, and a `Peer` on the other (reading unless `read: false`). */
export function openLink (name: string, options: ResolvedServerOptions, events: ConnectionEvents, pair: DuplexPairOptions & { read?: boolean } = {}): Link {
  const [server, client] = duplexPair(pair)
  const connection = new Connection(server, options, events)
  const peer = new Peer(name, client)
  if (pair.read !== false) peer.start()
  return { name, connection, peer, client }
}

/** Connection events that do nothing: for tests of pieces that need a connection and nothing behind it. */
export const quietEvents: ConnectionEvents = { onBatch: () => {}, onClose: () => {}, beforeEnd: () => {}, counters: new ServerCounters() }

/**
 * Everything queued on these links' connections so far has reached their
 * peers once this resolves: a pong with a fresh number goes through each
 * connection's queue behind what is there. What a peer has not received by
 * then was never sent. Its pong arrives in a chunk of its own.
 */
export async function barrier (...links: Link[]): Promise<void> {
  // Connections write on a microtask after a run of pushes: after one turn, what the test queued was
  // handed to the transport, and the pong is a write (a chunk) of its own, never glued to the test's frames.
  await new Promise(resolve => { setImmediate(resolve) })
  await Promise.all(links.map(async link => {
    const n = nextBarrier++
    link.connection.send({ type: 'pong', n })
    await link.peer.until(() => link.peer.barriers.has(n), `barrier ${n}`)
  }))
}

/** A session for a connection, as a login makes one (`identity` and `keyScope` default as for a guest). */
export function makeSession (connection: Connection, username: string, options: ResolvedServerOptions, who: { registered?: boolean, identity?: string, token?: string, keyScope?: string, acceptsRuns?: boolean } = {}): Session {
  const userKey = username.toLowerCase()
  const registered = who.registered ?? false
  return new Session(connection, {
    username,
    userKey,
    registered,
    identity: who.identity ?? (registered ? userKey : `${userKey}~guest${nextSession}`),
    keyScope: who.keyScope ?? (registered ? userKey : `${userKey}~lineage${nextSession}`),
    token: who.token ?? `token-${nextSession++}`
  }, options.heartbeatTimeoutMs + options.heartbeatIntervalMs, who.acceptsRuns)
}
let nextSession = 1

/**
 * A MemoryStore that records each `append` (a copy of its writes) and fails the next `failNext` of them.
 * `checksKeysAtAppend: false` makes the engine look keys up before publishing, as on a store of one's own that does not check them.
 */
export class RecordingStore extends MemoryStore {
  readonly appends: MessageWrite[][] = []
  failNext = 0

  constructor (override readonly checksKeysAtAppend = true) {
    super()
  }

  override append (writes: readonly MessageWrite[]): void {
    this.appends.push([...writes])
    if (this.failNext > 0) {
      this.failNext--
      throw new Error('disk full (injected)')
    }
    super.append(writes)
  }

  /** Stores `count` messages in a stream directly (ids from its lastId on), as an earlier run would have. */
  seed (stream: StreamKey, count: number, fields: Partial<StoredMessage> = {}): void {
    const first = this.lastId(stream) + 1
    const writes: MessageWrite[] = []
    for (let id = first; id < first + count; id++) {
      writes.push({ message: { stream, id, from: 'seed', text: `seed ${id}`, ts: 1_000 + id, ...fields } })
    }
    super.append(writes)
  }
}

export interface WorldOptions extends ServerOptions {
  /** Names listed in a join's reply, at most (LocalEngine option). Default 1000, as the server. */
  maxListedMembers?: number
  /** False: the store does not check keys as it appends, so the engine does not at its commit, and keyed sends are looked up first. Default true. */
  storeChecksKeys?: boolean
  /** `IdempotencyKeys.tracksPending` (the server sets it false for its built-in engine). */
  tracksPending?: boolean
}

/**
 * The server's core, wired as `ChatServer` wires it (registry, keys,
 * fan-out, local engine, intake over a recording memory store), with
 * connections made here instead of accepted from a listener.
 */
export class World {
  readonly options: ResolvedServerOptions
  readonly store: RecordingStore
  readonly rooms = new RoomRegistry()
  readonly keys: IdempotencyKeys
  readonly fanOut: FanOut
  readonly engine: LocalEngine
  readonly intake: MessageIntake
  /** As the server's: a connection ending commits what is pending; a closed one logs out. */
  readonly events: ConnectionEvents
  private readonly links: Link[] = []

  constructor (options: WorldOptions = {}) {
    const { maxListedMembers = 1_000, storeChecksKeys = true, tracksPending = true, ...server } = options
    this.options = serverOptions(server)
    this.store = new RecordingStore(storeChecksKeys)
    this.keys = new IdempotencyKeys(this.store)
    this.fanOut = new FanOut(this.options, this.rooms, this.keys)
    this.engine = new LocalEngine(this.store, this.rooms, this.fanOut, { presenceLimit: this.options.presenceLimit, maxListedMembers })
    this.keys.checkedAtCommit = this.engine.checksKeysAtCommit === true
    // As ChatServer wires it when told (`tracksPending: false`); by default the table of pending keys is kept, to test it.
    this.keys.tracksPending = tracksPending
    this.intake = new MessageIntake(this.options, this.engine, this.keys)
    this.events = {
      onBatch: () => {},
      beforeEnd: () => { this.engine.flush() },
      counters: new ServerCounters(),
      onClose: connection => { logout(this.engine, connection) }
    }
  }

  /** A connection nobody is logged in on. */
  connect (name: string, pair: DuplexPairOptions & { read?: boolean } = {}): Link {
    const link = openLink(name, this.options, this.events, pair)
    this.links.push(link)
    return link
  }

  /** A connection with a session that claimed `name` (throws if the name is taken). */
  login (name: string, who: { registered?: boolean, resume?: string, acceptsRuns?: boolean } = {}): Client & { replaced?: Session } {
    const link = this.connect(name)
    const key = name.toLowerCase()
    const claim = this.engine.claimName(key, who.resume, replacing =>
      makeSession(link.connection, name, this.options, { registered: who.registered, identity: replacing?.identity, acceptsRuns: who.acceptsRuns }))
    if (claim === undefined) throw new Error(`${name} is taken`)
    link.connection.session = claim.session
    link.session = claim.session
    return { ...link, session: claim.session, replaced: claim.replaced }
  }

  /** Logs in each name and joins each to `room`, then waits until every presence frame of that has arrived. */
  async roomOf (room: string, ...names: string[]): Promise<Client[]> {
    const clients = names.map(name => this.login(name))
    for (const client of clients) this.engine.join(room, client.session)
    await barrier(...clients)
    return clients
  }

  /** Drops every connection made here. */
  close (): void {
    this.engine.close()
    for (const link of this.links) link.client.destroy()
  }
}

/**
 * A delivery as `MessageIntake` makes one (id 0: the engine gives it), for
 * handing to `LocalEngine.publish` or, with an id, to `FanOut` directly.
 */
export function delivery (sender: Session, req: number, text: string, to: { room: string } | { target: Session } | { inboxFor: string, to: string }, id = 0): Delivery {
  const message: StoredMessage = { stream: '', id, from: sender.username, text, ts: 1_700_000_000_000 + id }
  const d: Delivery = { message, sender, req, encoded: encodeText(text, Buffer.byteLength(text)) }
  if ('room' in to) {
    message.stream = roomStream(to.room)
    message.room = to.room
    d.room = to.room
  } else if ('target' in to) {
    message.stream = conversationStream(sender.identity, to.target.identity)
    message.to = to.target.username
    d.target = to.target
  } else {
    message.stream = conversationStream(sender.identity, to.inboxFor)
    message.to = to.to
    d.inboxFor = to.inboxFor
  }
  return d
}

/** The ChatMessage a stored message goes out as (fields in the wire's order: type, id, room or to, from, text, ts). */
export function chatMessageOf (message: StoredMessage): ChatMessage {
  const { id, from, text, ts } = message
  return message.room !== undefined
    ? { type: 'msg', id, room: message.room, from, text, ts }
    : { type: 'msg', id, to: message.to, from, text, ts }
}

/** The reference bytes of a stored message's frame: `encodeFrame` of its ChatMessage. */
export function referenceFrame (message: StoredMessage): Buffer {
  return Buffer.from(encodeFrame(chatMessageOf(message)))
}
