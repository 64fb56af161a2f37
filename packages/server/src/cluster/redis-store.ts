import type { Redis } from 'ioredis'
import type { Account, IdempotencyKey, Store, InboxEntry, MarkerMove, ReadMarker, RetentionPolicy, StoredMessage, StreamKey } from '../store/store.js'
import { moveReadMarker } from './marker-script.js'
import { commit } from './commit-script.js'
import type { CommitOutcome, CommitWrite } from './commit-script.js'
import { toInboxEntry, toMessage } from './redis-entries.js'
import type { RawEntry } from './redis-entries.js'
import { storing } from './redis-connection.js'
import { DEFAULT_REDIS_PREFIX, redisKeys } from './redis-keys.js'
import type { RedisKeys } from './redis-keys.js'
import { RedisPrune } from './redis-prune.js'
import type { PruneLimits } from './redis-prune.js'

export interface RedisStoreOptions {
  /** Of every key and channel. Default `chat:`. */
  prefix?: string
  /** Applied by `commit` too: idempotency keys expire after `maxAgeMs`; streams are trimmed to `maxMessagesPerStream`. */
  retention?: RetentionPolicy
  /** How much one `prune` call may do. */
  prune?: PruneLimits
  /** `close()` quits the client. Default true. */
  closeClient?: boolean
}

/**
 * The cluster's store: the Store's reads and writes over one ioredis client
 * (made by `createRedisClient`), every answer a promise; a failed or
 * unreachable Redis rejects with `storage_error`. Messages are written by
 * `commit` (ids given by Redis, one round trip per batch), not by `append`.
 * Layout: redis-keys.ts.
 */
export class RedisStore implements Store {
  readonly keys: RedisKeys
  private readonly retention: RetentionPolicy
  private readonly pruner: RedisPrune
  private readonly closeClient: boolean

  constructor (readonly redis: Redis, options: RedisStoreOptions = {}) {
    this.keys = redisKeys(options.prefix ?? DEFAULT_REDIS_PREFIX)
    this.retention = options.retention ?? {}
    this.pruner = new RedisPrune(redis, this.keys, options.prune)
    this.closeClient = options.closeClient ?? true
  }

  /** Stores and publishes a batch atomically in one round trip; see commit-script.ts. */
  async commit (writes: readonly CommitWrite[]): Promise<CommitOutcome[]> {
    return await commit(this.redis, this.keys, writes, { keyTtlMs: this.retention.maxAgeMs, maxMessagesPerStream: this.retention.maxMessagesPerStream })
  }

  async lastId (stream: StreamKey): Promise<number> {
    return Number(await storing('reading a last id', this.redis.hget(this.keys.seq, stream)) ?? 0)
  }

  async floor (stream: StreamKey): Promise<number> {
    return Number(await storing('reading a retention floor', this.redis.hget(this.keys.floor, stream)) ?? 0)
  }

  async readAfter (stream: StreamKey, after: number, limit: number): Promise<StoredMessage[]> {
    if (limit <= 0) return []
    const entries = await storing('reading messages', this.redis.xrange(this.keys.stream(stream), `${Math.max(0, after) + 1}-0`, '+', 'COUNT', limit))
    return (entries as RawEntry[]).map(entry => toMessage(stream, entry))
  }

  async readBefore (stream: StreamKey, before: number | undefined, limit: number): Promise<StoredMessage[]> {
    if (limit <= 0 || (before !== undefined && before <= 1)) return []
    const end = before === undefined ? '+' : `${before - 1}-0`
    const entries = await storing('reading messages', this.redis.xrevrange(this.keys.stream(stream), end, '-', 'COUNT', limit))
    return (entries as RawEntry[]).map(entry => toMessage(stream, entry)).reverse()
  }

  /** The message stored with this key, if retention has not removed it. */
  async findByKey ({ scope, key }: IdempotencyKey): Promise<StoredMessage | undefined> {
    const stored = await storing('reading an idempotency key', this.redis.get(this.keys.idempotency(scope, key)))
    const match = stored?.match(/^([^]*)\n(\d+)\n(\d+)$/)
    if (match == null) return undefined
    const [, stream, id] = match
    const entries = await storing('reading a message', this.redis.xrange(this.keys.stream(stream), `${id}-0`, `${id}-0`))
    return entries.length === 0 ? undefined : toMessage(stream, entries[0] as RawEntry)
  }

  /** The oldest `limit` entries of an inbox whose message retention has not removed. */
  async readInbox (userKey: string, limit: number): Promise<InboxEntry[]> {
    const live: InboxEntry[] = []
    for (let start = '-'; live.length < limit;) {
      const want = limit - live.length
      const page = (await storing('reading an inbox', this.redis.xrange(this.keys.inbox(userKey), start, '+', 'COUNT', want)) as RawEntry[]).map(toInboxEntry)
      if (page.length === 0) break
      const floors = await storing('reading retention floors', this.redis.hmget(this.keys.floor, ...page.map(e => e.message.stream)))
      page.forEach((entry, i) => { if (entry.message.id > Number(floors[i] ?? 0)) live.push(entry) })
      if (page.length < want) break
      start = `(${page[page.length - 1].seq}-0`
    }
    return live
  }

  async removeInbox (userKey: string, seq: number): Promise<void> {
    await storing('clearing an inbox', this.redis.xtrim(this.keys.inbox(userKey), 'MINID', `${seq}-1`))
  }

  async getAccount (userKey: string): Promise<Account | undefined> {
    const json = await storing('reading an account', this.redis.hget(this.keys.accounts, userKey))
    if (json === null) return undefined
    const { name, passwordHash, createdAt } = JSON.parse(json) as Account
    return { name, passwordHash, createdAt }
  }

  /** False if the name is registered already (HSETNX: the first one wins, across nodes). */
  async createAccount (userKey: string, account: Account): Promise<boolean> {
    const json = JSON.stringify({ name: account.name, passwordHash: account.passwordHash, createdAt: account.createdAt })
    return await storing('creating an account', this.redis.hsetnx(this.keys.accounts, userKey, json)) === 1
  }

  /** The marker and the stream's newest id, read together (one round trip: ioredis pipelines them). */
  async readMarker (userKey: string, stream: StreamKey): Promise<ReadMarker> {
    const [read, lastId] = await Promise.all([
      storing('reading a read marker', this.redis.hget(this.keys.readMarkers(userKey), stream)),
      storing('reading a last id', this.redis.hget(this.keys.seq, stream))
    ])
    return { read: Math.min(Number(read ?? 0), Number(lastId ?? 0)), lastId: Number(lastId ?? 0) }
  }

  /** Raised only, capped by the stream's newest id, in one script (marker-script.ts). */
  async moveReadMarker (userKey: string, stream: StreamKey, id: number): Promise<MarkerMove> {
    return await moveReadMarker(this.redis, this.keys, userKey, stream, id)
  }

  /** Retention, in bounded steps (see redis-prune.ts); returns how many messages were removed. */
  async prune (policy: RetentionPolicy, now: number): Promise<number> {
    return await storing('applying retention', this.pruner.prune(policy, now))
  }

  /** Quits the client (unless `closeClient: false`); a client already cut off is disconnected. */
  async close (): Promise<void> {
    if (!this.closeClient || this.redis.status === 'end') return
    try {
      await this.redis.quit()
    } catch {
      this.redis.disconnect()
    }
  }
}
