import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_TEXT_BYTES, isValidRoomName } from '@chat/protocol'
import { webRoot } from '@chat/web'
import type { ClusterOptions } from './cluster/cluster-options.js'
import type { EngineFactory } from './engine/engine.js'
import { resolveLimits } from './limits/limit-options.js'
import type { LimitOptions, ResolvedLimitOptions } from './limits/limit-options.js'
import { fullLogger } from './logger.js'
import type { FullLogger, Logger } from './logger.js'
import type { Durability } from './store/sqlite-store.js'
import type { RetentionPolicy, Store } from './store/store.js'
import { OriginPolicy } from './transport/origin-policy.js'

/**
 * `open`: anyone may take any free name; no accounts. `accounts`: registered
 * names need their password, other free names may be used as guests.
 * `required`: only registered users may log in.
 */
export type AuthMode = 'open' | 'accounts' | 'required'
export const AUTH_MODES: readonly AuthMode[] = ['open', 'accounts', 'required']

/** The limits (login deadline, connection caps, rates) are `LimitOptions`: limits/limit-options.ts. */
export interface ServerOptions extends LimitOptions {
  /** How often the server pings a connection (ms). Default 10 000. */
  heartbeatIntervalMs?: number
  /** A connection silent for this long (ms) is dropped with `heartbeat_timeout`. Default 30 000. */
  heartbeatTimeoutMs?: number
  /** Largest frame body accepted or sent, in bytes. Default 64 KiB. */
  maxFrameBytes?: number
  /** Largest message text, in UTF-8 bytes; longer ones are refused with `message_too_long`. Default 16 KiB. */
  maxTextBytes?: number
  /** Outbound bytes queued for one connection before it is dropped as a `slow_consumer`. Default 4 MiB. */
  maxQueuedBytes?: number
  /** How long `close()` waits for clients to take their goodbye before cutting them off (ms). Default 2 000. */
  closeTimeoutMs?: number
  /**
   * Replays (and an inbox delivery) one connection may have running; its
   * next replay, history, rooms or members request waits (its reading
   * paused) until one finishes. Default 8.
   */
  maxPendingRequests?: number
  /**
   * Pages of stored messages (a history request, a step of a replay: up to
   * 256 messages or about 128 KiB) one connection may read per second, with
   * bursts of a second's worth; beyond it they wait. Default 200.
   */
  pagesPerSecond?: number
  /**
   * Where messages and accounts are kept: a SQLite database (`chat.db`) in
   * this directory, created with its schema on first start. Without it (and
   * without `store`) everything lives in memory and is gone at exit.
   */
  dataDir?: string
  /**
   * Allow creating a new, empty database in `dataDir` where one existed and
   * is gone (its `chat.db` deleted, its `-wal` or marker file left). Without
   * it the server refuses to start (`store_missing`). Not needed for a new or
   * empty directory.
   */
  init?: boolean
  /**
   * A store of your own instead of `dataDir`. The server closes it on
   * `close()`. With the built-in engine it must be a `LocalStore` (every
   * answer at once, and `append`); a store whose answers are promises needs
   * an `engine` of its own.
   */
  store?: Store
  /** `full` (default): each commit is synced to disk before acks. `normal`: synced at checkpoints. */
  durability?: Durability
  /** Default `accounts`. */
  authMode?: AuthMode
  /** What to remove from history, and when. Off by default: everything is kept. */
  retention?: RetentionPolicy
  /** How often retention runs (ms). Default 60 000. */
  retentionIntervalMs?: number
  /**
   * Rooms with more members than this do not announce joins and leaves:
   * each announcement goes to every member, so filling a room of N would
   * cost N² frames. Default 1 000.
   */
  presenceLimit?: number
  /**
   * Browser origins allowed to open a WebSocket, besides the server's own (and requests
   * without an `Origin`): exact origins such as `https://chat.example.com`, or `'*'` for any.
   * Others get HTTP 403. Default: none.
   */
  allowedOrigins?: readonly string[]
  /** Offer permessage-deflate to WebSocket clients. Default false (CPU and memory per connection). */
  wsCompression?: boolean
  /**
   * How long a connection may take over its TLS handshake, or over its HTTP request
   * (a WebSocket upgrade), before it is closed (ms). Default 10 000.
   */
  handshakeTimeoutMs?: number
  /**
   * Serve the web page (`@chat/web`) at `/` on the HTTP port, beside `/ws`. Default true;
   * `false`: only `/ws` (the CLI's `--no-web`).
   */
  web?: boolean
  /**
   * The folder of a built page to serve instead of `@chat/web`'s own (`index.html`, `app.js`,
   * `app.css`). Where they are missing, `/` answers 503 saying to build them.
   */
  webRoot?: string
  /**
   * Typing indicators (`typing` requests and events, PROTOCOL.md §17). Default true;
   * `false` answers `typing` with `unknown_type`, as a server that predates it (the CLI's `--no-typing`).
   */
  typing?: boolean
  /**
   * How long an `active: true` holds without a refresh (ms). Default 5 000, what the
   * protocol says clients rely on: change it only for tests.
   */
  typingTimeoutMs?: number
  /**
   * Read markers (`read` and `unread` requests, `joined`'s `read` and `unread`; PROTOCOL.md §17).
   * Default true; `false` answers those requests with `unknown_type` and `joined` carries no
   * marker, as a server that predates them (the CLI's `--no-read-markers`).
   */
  readMarkers?: boolean
  /**
   * Rooms whose members see each other's read markers move (`read` events, at most one per
   * member and room per second): room names, or `'*'` for every room. Default: none.
   */
  readReceipts?: readonly string[] | '*'
  /** Where the server reports what it does. Default: silent. */
  logger?: Logger
  /**
   * Experimental: the engine that holds what is global to the chat service
   * (names, rooms, ids, the commit). Default: this process alone
   * (`LocalEngine`). The seam a cluster engine plugs into.
   */
  engine?: EngineFactory
  /**
   * Run as one node of a cluster: names, rooms, ids, messages, accounts and
   * inboxes live in this Redis, shared with the other nodes (`store`,
   * `dataDir` and `engine` are then unused). Default: a server alone.
   */
  cluster?: ClusterOptions
}

export interface ResolvedServerOptions extends ResolvedLimitOptions {
  heartbeatIntervalMs: number
  heartbeatTimeoutMs: number
  maxFrameBytes: number
  maxTextBytes: number
  maxQueuedBytes: number
  closeTimeoutMs: number
  maxPendingRequests: number
  pagesPerSecond: number
  dataDir: string | undefined
  init: boolean
  store: Store | undefined
  durability: Durability
  authMode: AuthMode
  retention: RetentionPolicy
  retentionIntervalMs: number
  presenceLimit: number
  allowedOrigins: readonly string[]
  wsCompression: boolean
  handshakeTimeoutMs: number
  web: boolean
  webRoot: string
  typing: boolean
  typingTimeoutMs: number
  readMarkers: boolean
  readReceipts: readonly string[] | '*' | undefined
  logger: FullLogger
  engine: EngineFactory | undefined
  cluster: ClusterOptions | undefined
}

const POSITIVE_INTEGERS = [
  'heartbeatIntervalMs', 'heartbeatTimeoutMs', 'maxFrameBytes', 'maxTextBytes',
  'maxQueuedBytes', 'closeTimeoutMs', 'retentionIntervalMs', 'presenceLimit', 'handshakeTimeoutMs',
  'maxPendingRequests', 'pagesPerSecond', 'typingTimeoutMs'
] as const

export function resolveOptions (options: ServerOptions, silent: Logger): ResolvedServerOptions {
  const resolved: ResolvedServerOptions = {
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 10_000,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 30_000,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    maxTextBytes: options.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES,
    maxQueuedBytes: options.maxQueuedBytes ?? 4 * 1024 * 1024,
    closeTimeoutMs: options.closeTimeoutMs ?? 2_000,
    maxPendingRequests: options.maxPendingRequests ?? 8,
    pagesPerSecond: options.pagesPerSecond ?? 200,
    dataDir: options.dataDir,
    init: options.init ?? false,
    store: options.store,
    durability: options.durability ?? 'full',
    authMode: options.authMode ?? 'accounts',
    retention: options.retention ?? {},
    retentionIntervalMs: options.retentionIntervalMs ?? 60_000,
    presenceLimit: options.presenceLimit ?? 1_000,
    allowedOrigins: options.allowedOrigins ?? [],
    wsCompression: options.wsCompression ?? false,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
    web: options.web ?? true,
    webRoot: options.webRoot ?? webRoot,
    typing: options.typing ?? true,
    typingTimeoutMs: options.typingTimeoutMs ?? 5_000,
    readMarkers: options.readMarkers ?? true,
    readReceipts: options.readReceipts,
    logger: fullLogger(options.logger ?? silent),
    engine: options.engine,
    cluster: options.cluster,
    ...resolveLimits(options, options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES)
  }
  for (const name of POSITIVE_INTEGERS) {
    const value = resolved[name]
    if (!(Number.isSafeInteger(value) && value > 0)) {
      throw new RangeError(`server option ${name} must be a positive integer, got ${value}`)
    }
  }
  for (const [name, value] of Object.entries(resolved.retention)) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
      throw new RangeError(`retention.${name} must be a positive integer, got ${String(value)}`)
    }
  }
  if (resolved.heartbeatTimeoutMs <= resolved.heartbeatIntervalMs) {
    throw new RangeError('heartbeatTimeoutMs must be longer than heartbeatIntervalMs')
  }
  if (!AUTH_MODES.includes(resolved.authMode)) {
    throw new RangeError(`authMode must be one of ${AUTH_MODES.join(', ')}, got ${String(resolved.authMode)}`)
  }
  if (resolved.durability !== 'full' && resolved.durability !== 'normal') {
    throw new RangeError(`durability must be full or normal, got ${String(resolved.durability)}`)
  }
  void new OriginPolicy(resolved.allowedOrigins) // throws a RangeError naming an entry that is not an origin
  const receipts = resolved.readReceipts
  if (receipts !== undefined && receipts !== '*') {
    const bad = Array.isArray(receipts) ? receipts.find(room => !isValidRoomName(room)) : receipts
    if (bad !== undefined) throw new RangeError(`readReceipts must be '*' or a list of room names, got ${JSON.stringify(bad)}`)
  }
  return resolved
}
