import { createServer as createNetServer } from 'node:net'
import type { AddressInfo, Server as NetServer, Socket } from 'node:net'
import { once } from 'node:events'
import { ChatRouter } from './chat-router.js'
import { Connection } from './connection.js'
import type { ConnectionEvents } from './connection.js'
import { HeartbeatMonitor } from './heartbeat-monitor.js'
import { silentLogger } from './logger.js'
import { resolveOptions } from './options.js'
import type { ResolvedServerOptions, ServerOptions } from './options.js'
import { ErrorCodes } from '@chat/protocol'
import { MemoryStore } from './store/memory-store.js'
import { SqliteStore } from './store/sqlite-store.js'
import type { Store } from './store/store.js'

export interface ListenOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 7777; 0 picks a free port. */
  port?: number
}

export interface ServerStats {
  /** Open connections, logged in or not. */
  connections: number
  /** Logged-in users. */
  users: number
  /** The most outbound bytes queued for any one connection right now. */
  maxQueuedBytes: number
}

/** The reference chat server. Create it with `createServer`. */
export class ChatServer {
  readonly options: ResolvedServerOptions
  private readonly connections = new Set<Connection>()
  /** Set while shutting down: called when the last connection has closed. */
  private lastClosed: (() => void) | undefined
  /** What every connection reports to (one object, not closures per connection). */
  private readonly connectionEvents: ConnectionEvents
  private readonly router: ChatRouter
  private readonly heartbeat: HeartbeatMonitor
  private readonly netServer: NetServer
  /** Where messages and accounts are kept. */
  readonly store: Store
  private retentionTimer: NodeJS.Timeout | undefined
  private closing: Promise<void> | undefined

  /** Opens the store (creating the data directory and schema if needed); throws if it can't. */
  constructor (options: ServerOptions = {}) {
    this.options = resolveOptions(options, silentLogger)
    this.store = this.options.store ??
      (this.options.dataDir !== undefined
        ? new SqliteStore(this.options.dataDir, { durability: this.options.durability })
        : new MemoryStore())
    this.router = new ChatRouter(this.options, this.store)
    this.heartbeat = new HeartbeatMonitor(this.connections, this.options)
    this.connectionEvents = {
      onBatch: (conn, batch) => this.router.handleBatch(conn, batch),
      beforeEnd: () => { this.router.flush() },
      onClose: conn => {
        this.connections.delete(conn)
        this.router.disconnect(conn)
        this.options.logger.info(`${conn.username ?? 'anonymous'} (${conn.remoteAddress}) disconnected`)
        if (this.connections.size === 0) this.lastClosed?.()
      }
    }
    this.netServer = createNetServer({ noDelay: true, allowHalfOpen: true }, socket => { this.accept(socket) })
  }

  /** Starts accepting connections; resolves with the bound address. */
  async listen (options: ListenOptions = {}): Promise<AddressInfo> {
    this.netServer.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 7777 })
    await Promise.race([
      once(this.netServer, 'listening'),
      once(this.netServer, 'error').then(([err]) => { throw err })
    ])
    this.heartbeat.start()
    this.startRetention()
    const address = this.address()!
    this.options.logger.info(`listening on ${address.address}:${address.port}`)
    return address
  }

  address (): AddressInfo | undefined {
    const address = this.netServer.address()
    return address !== null && typeof address === 'object' ? address : undefined
  }

  stats (): ServerStats {
    let maxQueuedBytes = 0
    for (const connection of this.connections) maxQueuedBytes = Math.max(maxQueuedBytes, connection.queuedBytes)
    return { connections: this.connections.size, users: this.router.userCount, maxQueuedBytes }
  }

  /** Removes what the retention policy says is too old or too many; returns how many messages went. */
  applyRetention (now = Date.now()): number {
    const { maxAgeMs, maxMessagesPerStream } = this.options.retention
    if (maxAgeMs === undefined && maxMessagesPerStream === undefined) return 0
    this.router.flush()
    const removed = this.store.prune(this.options.retention, now)
    if (removed > 0) this.options.logger.info(`retention removed ${removed} message(s)`)
    return removed
  }

  private startRetention (): void {
    const { maxAgeMs, maxMessagesPerStream } = this.options.retention
    if (maxAgeMs === undefined && maxMessagesPerStream === undefined) return
    const run = (): void => {
      try {
        this.applyRetention()
      } catch (err) {
        // A failed run (a full disk) is reported; the next one tries again.
        this.options.logger.warn(`retention failed: ${(err as Error).message}`)
      }
    }
    run()
    this.retentionTimer = setInterval(run, this.options.retentionIntervalMs)
    this.retentionTimer.unref()
  }

  /**
   * Graceful stop: no new connections; every client is told `server_shutdown`
   * and gets what was queued for it; clients still connected after
   * `closeTimeoutMs` are cut off. Resolves once every connection has closed.
   */
  async close (): Promise<void> {
    this.closing ??= this.shutdown()
    return await this.closing
  }

  private async shutdown (): Promise<void> {
    this.options.logger.info(`shutting down, ${this.connections.size} connection(s) open`)
    const stopped = new Promise<void>(resolve => { this.netServer.close(() => { resolve() }) })
    this.heartbeat.stop()
    clearInterval(this.retentionTimer)
    // What was accepted is committed and delivered before the goodbyes.
    this.router.flush()
    for (const connection of this.connections) {
      connection.end({ type: 'bye', code: ErrorCodes.SERVER_SHUTDOWN, message: 'the server is shutting down' })
    }
    await stopped
    if (this.connections.size > 0) await new Promise<void>(resolve => { this.lastClosed = resolve })
    this.router.flush()
    this.store.close()
    this.options.logger.info('stopped')
  }

  private accept (socket: Socket): void {
    if (this.closing !== undefined) {
      socket.destroy()
      return
    }
    this.connections.add(new Connection(socket, this.options, this.connectionEvents))
  }
}

/** Creates a server; call `listen()` to start it. */
export function createServer (options: ServerOptions = {}): ChatServer {
  return new ChatServer(options)
}
