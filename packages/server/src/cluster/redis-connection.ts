import { Redis } from 'ioredis'
import type { RedisOptions } from 'ioredis'
import { StoreError, StoreErrorCodes } from '../store/store-error.js'

export interface RedisConnectionOptions {
  /** Don't connect until `waitReady` (or a first command). Default false. */
  lazyConnect?: boolean
  /** Longest wait between reconnection attempts (ms). Default 1 000. */
  maxReconnectDelayMs?: number
  /** Give up a connection attempt after this long (ms). Default 5 000. */
  connectTimeoutMs?: number
  /**
   * Reject a command with no reply after this long (ms). Default none: a dead
   * server closes the socket, which rejects at once; this is for a hung one.
   * A commit that timed out may still have been applied (retries use idempotency keys).
   */
  commandTimeoutMs?: number
  /** Shown in `CLIENT LIST`. */
  connectionName?: string
  /** Connection errors (reconnects follow by themselves). Default: ignored, commands report them. */
  onError?: (err: Error) => void
}

/**
 * The options of every command connection: a command fails at once while
 * Redis is unreachable (no offline queue, no retry), and a command sent
 * before a connection was lost is never sent again (a commit whose reply was
 * lost must not run twice); the client reconnects by itself, backing off up
 * to `maxReconnectDelayMs`.
 */
export function redisOptions (options: RedisConnectionOptions = {}): RedisOptions {
  const maxDelay = options.maxReconnectDelayMs ?? 1_000
  return {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    retryStrategy: times => Math.min(50 * 2 ** Math.min(times - 1, 10), maxDelay),
    lazyConnect: options.lazyConnect ?? false,
    connectTimeout: options.connectTimeoutMs ?? 5_000,
    commandTimeout: options.commandTimeoutMs,
    connectionName: options.connectionName
  }
}

/** An ioredis client for a `redis://` (or `rediss://`, TLS) URL, with `redisOptions`. */
export function createRedisClient (url: string, options: RedisConnectionOptions = {}): Redis {
  if (!/^rediss?:\/\//.test(url)) throw new TypeError(`not a redis:// URL: ${url}`)
  const redis = new Redis(url, redisOptions(options))
  // Without a listener ioredis prints every connection error; commands report them as storage_error.
  redis.on('error', options.onError ?? (() => {}))
  return redis
}

/**
 * Resolves once the client is ready (connecting a lazy one); rejects with a
 * `storage_error` after `timeoutMs` (default 10 000), when `signal` aborts, or
 * when the client stops reconnecting.
 */
export async function waitReady (redis: Redis, options: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<void> {
  if (redis.status === 'ready') return
  const { timeoutMs = 10_000, signal } = options
  let lastError: Error | undefined
  await new Promise<void>((resolve, reject) => {
    const fail = (why: string): void => {
      done()
      reject(new StoreError(StoreErrorCodes.STORAGE_ERROR, `Redis not ready: ${why}${lastError === undefined ? '' : ` (${lastError.message})`}`, { cause: lastError ?? signal?.reason }))
    }
    const onReady = (): void => { done(); resolve() }
    const onError = (err: Error): void => { lastError = err }
    const onEnd = (): void => { fail('the client stopped reconnecting') }
    const onAbort = (): void => { fail('aborted') }
    const timer = setTimeout(() => { fail(`no connection after ${timeoutMs} ms`) }, timeoutMs)
    function done (): void {
      clearTimeout(timer)
      redis.off('ready', onReady).off('error', onError).off('end', onEnd)
      signal?.removeEventListener('abort', onAbort)
    }
    redis.on('ready', onReady).on('error', onError).on('end', onEnd)
    signal?.addEventListener('abort', onAbort, { once: true })
    if (signal?.aborted === true) onAbort()
    else if (redis.status === 'end') onEnd()
    else if (redis.status === 'wait') redis.connect().catch(() => {}) // failures come as events
  })
}

/** A failed Redis command as the server reports it: `storage_error`, with what was being done and Redis's reason. */
export function redisStorageError (what: string, err: unknown): StoreError {
  if (err instanceof StoreError) return err
  const reason = err instanceof Error ? err.message : String(err)
  return new StoreError(StoreErrorCodes.STORAGE_ERROR, `${what} failed: ${reason}`, { cause: err })
}

/** `promise`, with a rejection turned into `redisStorageError(what, ...)`. */
export async function storing<T> (what: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise
  } catch (err) {
    throw redisStorageError(what, err)
  }
}
