import type { Redis } from 'ioredis'
import type { EngineContext } from '../engine/engine.js'
import type { FullLogger } from '../logger.js'
import type { RetentionPolicy } from '../store/store.js'
import { ClusterEngine } from './cluster-engine.js'
import { resolveClusterOptions } from './cluster-options.js'
import type { ClusterOptions, ResolvedClusterOptions } from './cluster-options.js'
import { reportPersistence } from './persistence-check.js'
import { createRedisClient, waitReady } from './redis-connection.js'
import { RedisStore } from './redis-store.js'

/**
 * One server's membership of a cluster: its two connections to Redis (one
 * for commands, one subscribed to channels), the shared store over the
 * first, and the engine over both. Made with the server; `start` (in
 * `listen`) connects and takes a lease before anyone is served.
 */
export class ClusterNode {
  readonly options: ResolvedClusterOptions
  readonly store: RedisStore
  private readonly redis: Redis
  private readonly subscriber: Redis
  private engine: ClusterEngine | undefined

  constructor (options: ClusterOptions, retention: RetentionPolicy, private readonly logger: FullLogger) {
    this.options = resolveClusterOptions(options)
    const onError = (err: Error): void => { logger.debug(`redis: ${err.message}`) }
    this.redis = createRedisClient(this.options.url, { lazyConnect: true, connectionName: `chat ${this.options.nodeId}`, onError })
    this.subscriber = createRedisClient(this.options.url, { lazyConnect: true, connectionName: `chat ${this.options.nodeId} channels`, onError })
    this.store = new RedisStore(this.redis, { prefix: this.options.prefix, retention, closeClient: false })
    let down = false
    this.redis.on('close', () => {
      if (!down) logger.error(`redis: connection to ${this.options.url} lost; requests that need it fail with storage_error until it is back`)
      down = true
    })
    this.redis.on('ready', () => {
      if (down) logger.info(`redis: connected again to ${this.options.url}`)
      down = false
    })
  }

  /** The engine factory of `ServerOptions.engine`. */
  makeEngine (context: EngineContext): ClusterEngine {
    this.engine = new ClusterEngine(this.redis, this.subscriber, this.store, context.rooms, context.delivery, {
      prefix: this.options.prefix,
      nodeId: this.options.nodeId,
      leaseMs: this.options.leaseMs,
      presenceLimit: context.presenceLimit,
      maxListedMembers: context.maxListedMembers,
      logger: this.logger
    })
    return this.engine
  }

  /** Connects both connections, says what Redis's persistence means for acks, and joins the cluster. */
  async start (): Promise<void> {
    await waitReady(this.redis)
    await waitReady(this.subscriber)
    await reportPersistence(this.redis, this.logger)
    await this.engine?.start()
    this.logger.info(`cluster node ${this.options.nodeId} joined through ${this.options.url}`, { node: this.options.nodeId })
  }

  async quit (): Promise<void> {
    await Promise.allSettled([this.redis.quit(), this.subscriber.quit()])
  }
}
