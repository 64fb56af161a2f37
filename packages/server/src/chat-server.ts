import type { AddressInfo } from 'node:net'
import { ErrorCodes } from '@chat/protocol'
import { WEB_FILES } from '@chat/web'
import type { AbortOptions, Duplex } from '@chat/transport'
import { ClusterNode } from './cluster/cluster-node.js'
import { FanOut } from './commit/fan-out.js'
import { IdempotencyKeys } from './commit/idempotency-keys.js'
import { MessageIntake } from './commit/message-intake.js'
import { Connection } from './connection/connection.js'
import type { ConnectionEvents } from './connection/connection.js'
import { HeartbeatMonitor } from './connection/heartbeat-monitor.js'
import { DirectHandler } from './direct/direct-handler.js'
import { InboxDelivery } from './direct/inbox-delivery.js'
import type { Engine, EngineContext } from './engine/engine.js'
import { LocalEngine, localStoreOf } from './engine/local-engine.js'
import { HistoryHandler } from './history/history-handler.js'
import { addressKey } from './limits/address-key.js'
import { ConnectionCaps } from './limits/connection-caps.js'
import { fileLimitWarning } from './limits/file-limit.js'
import { limitCounters } from './limits/limit-counters.js'
import type { LimitCounters } from './limits/limit-counters.js'
import { silentLogger } from './logger.js'
import { andThen } from './maybe-promise.js'
import type { MaybePromise } from './maybe-promise.js'
import { resolveOptions } from './options.js'
import type { ResolvedServerOptions, ServerOptions } from './options.js'
import { RoomHandler, MAX_LISTED_MEMBERS } from './rooms/room-handler.js'
import { RoomRegistry } from './rooms/room-registry.js'
import { FairScheduler } from './routing/fair-scheduler.js'
import { RequestRouter } from './routing/request-router.js'
import { LoginHandler } from './session/login-handler.js'
import { logout } from './session/logout.js'
import { MarkerHandler } from './markers/marker-handler.js'
import { ReadReceipts } from './markers/read-receipts.js'
import { TypingBoard } from './typing/typing-board.js'
import { TypingHandler } from './typing/typing-handler.js'
import { MemoryStore } from './store/memory-store.js'
import { SqliteStore } from './store/sqlite-store.js'
import type { Store } from './store/store.js'
import { Listeners } from './transport/listeners.js'
import type { ListenOptions } from './transport/tcp-listener.js'
import type { TlsCredentials } from './transport/tls-credentials.js'
import { TransportCounters } from './transport/transport-stats.js'
import { healthRoutes } from './ops/health-routes.js'
import { ServerMetrics } from './ops/metrics.js'
import { ServerCounters } from './ops/server-counters.js'
import type { TransportStats } from './transport/transport-stats.js'

export type { ListenOptions, TlsCredentials, TransportStats }

/** At most one typing event per user and room (or pair) per this long, and one read receipt per member and room (PROTOCOL.md §17). */
const TYPING_INTERVAL_MS = 1_000
const RECEIPT_INTERVAL_MS = 1_000

export interface ServerStats {
  /** Open connections, logged in or not. */
  connections: number
  /** Logged-in users. */
  users: number
  /** The most outbound bytes queued for any one connection right now. */
  maxQueuedBytes: number
  /** Bytes received and not yet handled, all connections: incomplete frames, and requests held behind a pending one. */
  inboundBytes: number
  /** What the limits refused so far. */
  refused: LimitCounters
}

/**
 * The reference chat server. Create it with `createServer`; `listen()` opens
 * its TCP (or TLS) listener and its HTTP (or HTTPS) one for WebSockets, each
 * handing its connections to `accept()` as a `Duplex`, as any other
 * transport may. This class wires the parts together: connections → router →
 * handlers (login, rooms, direct messages, history) → engine (names, rooms,
 * ids, commit) → fan-out → connections' queues.
 */
export class ChatServer {
  readonly options: ResolvedServerOptions
  /** Where messages and accounts are kept. */
  readonly store: Store
  /** What it counted so far (bytes, messages, logins, connections by transport and by why they closed). */
  readonly counters = new ServerCounters()
  /** Its Prometheus metrics, also served at `/metrics` on the HTTP port. */
  readonly metrics: ServerMetrics
  private readonly connections = new Set<Connection>()
  /** Connections being refused (`too_many_connections`): told why, then closed. */
  private readonly refusing = new Set<Connection>()
  private readonly caps: ConnectionCaps
  /** What the limits refused so far (`stats().refused`). */
  private readonly limits = limitCounters()
  /** Set while shutting down: called when the last connection has closed. */
  private lastClosed: (() => void) | undefined
  /** What every connection reports to (one object, not closures per connection). */
  private readonly connectionEvents: ConnectionEvents
  /** A refused connection is told why and given a short while to read it (an attacker's fills the file table). */
  private readonly refusedOptions: ResolvedServerOptions
  private readonly refusedEvents: ConnectionEvents = {
    onBatch: () => {},
    beforeEnd: () => {},
    counters: this.counters,
    onClose: conn => { this.refusing.delete(conn) }
  }
  private readonly engine: Engine
  /** Who types where (undefined with typing off). */
  private readonly typing: TypingBoard | undefined
  /** Read receipts being paced (undefined unless some room has them). */
  private readonly receipts: ReadReceipts | undefined
  private readonly router: RequestRouter
  private readonly heartbeat: HeartbeatMonitor
  private readonly transportCounters = new TransportCounters()
  /** TCP (or TLS), and HTTP (or HTTPS) for WebSockets: opened by `listen()`. */
  private readonly listeners: Listeners
  private retentionTimer: NodeJS.Timeout | undefined
  /** Set in cluster mode: this server's connections to Redis and its place in the cluster. */
  private readonly cluster: ClusterNode | undefined
  private started = false
  private closing: Promise<void> | undefined

  /** Opens the store (creating the data directory and schema if needed); throws if it can't. */
  constructor (options: ServerOptions = {}) {
    this.options = resolveOptions(options, silentLogger)
    const opts = this.options
    // A cluster node keeps everything in Redis (its store and engine); a server alone in SQLite or memory.
    this.cluster = opts.cluster === undefined ? undefined : new ClusterNode(opts.cluster, opts.retention, opts.logger)
    this.store = this.cluster?.store ?? opts.store ?? (opts.dataDir !== undefined ? this.openSqlite(opts.dataDir) : new MemoryStore())
    const rooms = new RoomRegistry()
    const keys = new IdempotencyKeys(this.store)
    const counters = this.counters
    const fanOut = new FanOut(opts, rooms, keys, counters)
    const context: EngineContext = { store: this.store, rooms, delivery: fanOut, presenceLimit: opts.presenceLimit, maxListedMembers: MAX_LISTED_MEMBERS }
    this.engine = this.cluster?.makeEngine(context) ?? opts.engine?.(context) ?? new LocalEngine(localStoreOf(this.store), rooms, fanOut, context)
    keys.checkedAtCommit = this.engine.checksKeysAtCommit === true
    keys.tracksPending = !(keys.checkedAtCommit && this.engine.commitsWithinTurn === true)
    // Typing and read markers, unless turned off (then their requests are unknown types).
    this.typing = opts.typing ? new TypingBoard(this.engine, { timeoutMs: opts.typingTimeoutMs, intervalMs: TYPING_INTERVAL_MS }) : undefined
    fanOut.typing = this.typing
    this.receipts = opts.readMarkers && opts.readReceipts !== undefined ? new ReadReceipts(this.engine, opts.readReceipts, RECEIPT_INTERVAL_MS) : undefined
    const markers = opts.readMarkers ? new MarkerHandler(this.store, this.engine, this.receipts, counters) : undefined
    const intake = new MessageIntake(opts, this.engine, keys)
    // Big answers are cut into steps, taken in turn by the connections that asked for them.
    const scheduler = new FairScheduler({ pagesPerSecond: opts.pagesPerSecond })
    const inbox = new InboxDelivery(opts, this.store, this.engine, scheduler)
    this.router = new RequestRouter({
      login: new LoginHandler(opts, this.store, this.engine, inbox.loggedIn, this.limits, counters),
      rooms: new RoomHandler(opts, this.engine, rooms, keys, intake, markers, this.typing),
      direct: new DirectHandler(opts, this.store, this.engine, keys, intake),
      history: new HistoryHandler(opts, this.store, this.engine, rooms, scheduler),
      typing: this.typing === undefined ? undefined : new TypingHandler(this.typing),
      markers
    }, opts.logger, this.limits, scheduler, { maxPendingRequests: opts.maxPendingRequests, pauseAt: Math.floor(opts.maxQueuedBytes / 4) })
    this.caps = new ConnectionCaps(opts)
    this.refusedOptions = { ...opts, closeTimeoutMs: Math.min(opts.closeTimeoutMs, 500) }
    this.heartbeat = new HeartbeatMonitor(this.connections, opts, this.limits)
    this.connectionEvents = {
      onBatch: (conn, batch) => this.router.handleBatch(conn, batch),
      beforeEnd: () => { this.engine.flush() },
      counters,
      onClose: conn => {
        this.connections.delete(conn)
        this.caps.release(conn.address)
        // Its typing ends (announced before its leaves, unless a second has not passed since the last announcement).
        if (conn.session !== undefined) this.typing?.ended(conn.session)
        logout(this.engine, conn)
        const reason = conn.closeCode ?? conn.endReason
        counters.closed(reason)
        opts.logger.info(`connection ${conn.id} closed (${reason})`, { connection: conn.id, user: conn.session?.username, remote: conn.remoteAddress, transport: conn.transport, reason })
        if (this.connections.size === 0) this.lastClosed?.()
      }
    }
    const web = opts.web ? { root: opts.webRoot, files: WEB_FILES } : undefined
    this.metrics = new ServerMetrics({
      counters,
      connectionsByTransport: () => {
        const open = new Map<string, number>()
        for (const connection of this.connections) open.set(connection.transport, (open.get(connection.transport) ?? 0) + 1)
        return open
      },
      users: () => this.engine.userCount,
      refused: () => ({ ...this.transportCounters.snapshot() }),
      limits: () => this.limits
    })
    const readiness = { ready: () => this.listeners.address() !== undefined && this.closing === undefined }
    this.listeners = new Listeners((duplex, transport) => { this.accept(duplex, transport) }, { ...opts, web }, this.transportCounters, healthRoutes(readiness, this.metrics))
  }

  /** The data directory's database, checked (see `SqliteStore`), saying what it found. */
  private openSqlite (dataDir: string): SqliteStore {
    const { durability, init, logger } = this.options
    const store = new SqliteStore(dataDir, { durability, init })
    if (store.movedAside.length > 0) logger.warn(`--init: a new database in ${dataDir}; moved aside what was left of the old one: ${store.movedAside.join(', ')}`)
    logger.info(store.checkMs === undefined ? `created ${store.path}` : `${store.path} checked (quick_check) in ${Math.round(store.checkMs)} ms`)
    return store
  }

  /**
   * Starts accepting TCP (or, with `tls`, TLS) connections, and with
   * `httpPort` WebSocket ones over HTTP (or HTTPS) too; resolves with the TCP
   * address (the HTTP one is `httpAddress()`). If either can't listen,
   * neither does. Call it once.
   */
  async listen (options: ListenOptions = {}): Promise<AddressInfo> {
    // A cluster node joins (Redis connected, lease taken) before anyone can connect.
    await this.cluster?.start()
    const address = await this.listeners.listen(options)
    this.start()
    return address
  }

  /** The TCP (or TLS) listener's address, once listening. */
  address (): AddressInfo | undefined {
    return this.listeners.address()
  }

  /** The HTTP (or HTTPS) listener's address, once listening. */
  httpAddress (): AddressInfo | undefined {
    return this.listeners.httpAddress()
  }

  /**
   * Replaces the TLS certificate and key (a renewal): new connections get
   * them, open ones are not disturbed. Throws, changing nothing, if they
   * can't be used, or if the server does not listen with `tls`.
   */
  setSecureContext (credentials: TlsCredentials): void {
    this.listeners.setSecureContext(credentials)
  }

  /** What the listeners refused so far (bad origins, bad upgrades, text or oversized WebSocket messages, handshake timeouts, TLS errors). */
  transportStats (): TransportStats {
    return this.transportCounters.snapshot()
  }

  /**
   * Serves one connection, from any transport: TCP (what `listen()` does),
   * TLS, WebSocket, or an in-memory duplex (tests, embedding). Refused
   * (destroyed) once the server is closing; refused with
   * `too_many_connections` past `maxConnections`, or `maxConnectionsPerIp`
   * from its address (`duplex.remoteAddress`).
   */
  accept (duplex: Duplex, transport = 'other'): void {
    if (this.closing !== undefined) {
      duplex.destroy()
      return
    }
    this.start()
    const address = addressKey(duplex.remoteAddress)
    const refusal = this.caps.admit(address)
    if (refusal === undefined) {
      const connection = new Connection(duplex, this.options, this.connectionEvents, address, transport)
      this.connections.add(connection)
      this.counters.opened(transport)
      this.options.logger.info(`connection ${connection.id} opened`, { connection: connection.id, remote: duplex.remoteAddress, transport })
      return
    }
    // Told why, then closed: it is not served, and does not count.
    const refused = new Connection(duplex, this.refusedOptions, this.refusedEvents, address, transport)
    this.refusing.add(refused)
    refused.fail(ErrorCodes.TOO_MANY_CONNECTIONS, `connection refused: ${refusal}`)
    if (this.limits.connections++ % 1000 === 0) this.options.logger.warn(`refusing connections: ${refusal} (${this.limits.connections} refused so far)`, { remote: duplex.remoteAddress, transport })
  }

  /** Heartbeats and retention run once the server serves anyone. */
  private start (): void {
    if (this.started) return
    this.started = true
    const fileWarning = fileLimitWarning(this.options.maxConnections)
    if (fileWarning !== undefined) this.options.logger.warn(fileWarning)
    this.heartbeat.start()
    this.startRetention()
  }

  stats (): ServerStats {
    let maxQueuedBytes = 0
    let inboundBytes = 0
    for (const connection of this.connections) {
      maxQueuedBytes = Math.max(maxQueuedBytes, connection.queuedBytes)
      inboundBytes += connection.inboundBytes
    }
    return { connections: this.connections.size, users: this.engine.userCount, maxQueuedBytes, inboundBytes, refused: { ...this.limits } }
  }

  /** Removes what the retention policy says is too old or too many; returns how many messages went (later, from a store that answers later). */
  applyRetention (now = Date.now()): MaybePromise<number> {
    const { maxAgeMs, maxMessagesPerStream } = this.options.retention
    if (maxAgeMs === undefined && maxMessagesPerStream === undefined) return 0
    this.engine.flush()
    return andThen(this.store.prune(this.options.retention, now), removed => {
      if (removed > 0) this.options.logger.info(`retention removed ${removed} message(s)`)
      return removed
    })
  }

  private startRetention (): void {
    const { maxAgeMs, maxMessagesPerStream } = this.options.retention
    if (maxAgeMs === undefined && maxMessagesPerStream === undefined) return
    // A failed run (a full disk, a damaged page) is reported; the next one tries again.
    const failed = (err: unknown): void => { this.options.logger.error(`retention failed: ${(err as Error).message}`) }
    let running: Promise<unknown> | undefined
    const run = (): void => {
      if (running !== undefined) return // a store that answers later may still be on the last run
      try {
        const removed = this.applyRetention()
        if (removed instanceof Promise) running = removed.catch(failed).finally(() => { running = undefined })
      } catch (err) {
        failed(err)
      }
    }
    run()
    this.retentionTimer = setInterval(run, this.options.retentionIntervalMs)
    this.retentionTimer.unref()
  }

  /**
   * Graceful stop: no new connections; every client is told `server_shutdown`
   * and gets what was queued for it; clients still connected after
   * `closeTimeoutMs` are cut off. Resolves once every connection has closed
   * and the store is closed. Aborting `signal` stops the wait, as the SDK's
   * `close` does: the clients still connected are cut off at once, and once
   * the close is complete the promise rejects with the signal's reason.
   */
  async close (options: AbortOptions = {}): Promise<void> {
    const { signal } = options
    const cutOff = (): void => { for (const connection of [...this.connections, ...this.refusing]) connection.destroy() }
    signal?.addEventListener('abort', cutOff, { once: true })
    if (signal?.aborted === true) cutOff()
    try {
      this.closing ??= this.shutdown()
      await this.closing
    } finally {
      signal?.removeEventListener('abort', cutOff)
    }
    signal?.throwIfAborted()
  }

  private async shutdown (): Promise<void> {
    this.options.logger.info(`shutting down, ${this.connections.size} connection(s) open`)
    const stopped = this.listeners.close()
    this.heartbeat.stop()
    clearInterval(this.retentionTimer)
    // Their timers are unref'd, but a closed server leaves none behind.
    this.typing?.close()
    this.receipts?.close()
    // What was accepted is committed and delivered before the goodbyes.
    this.engine.flush()
    for (const connection of this.connections) {
      connection.end({ type: 'bye', code: ErrorCodes.SERVER_SHUTDOWN, message: 'the server is shutting down' })
    }
    for (const connection of this.refusing) connection.destroy()
    await stopped
    if (this.connections.size > 0) await new Promise<void>(resolve => { this.lastClosed = resolve })
    await this.engine.close()
    await this.store.close()
    await this.cluster?.quit()
    this.options.logger.info('stopped')
  }
}

/** Creates a server; call `listen()` to start it, or hand it connections with `accept()`. */
export function createServer (options: ServerOptions = {}): ChatServer {
  return new ChatServer(options)
}
