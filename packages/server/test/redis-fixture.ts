import type { TestContext } from 'node:test'
import { Harness, startRedis } from '@chat/testing'
import type { RedisServer, RedisServerOptions } from '@chat/testing'
import { createRedisClient, RedisStore, waitReady } from '../src/index.js'
import type { RedisConnectionOptions, RedisStoreOptions } from '../src/index.js'

let prefixes = 0

/** A prefix no other test in this process uses: tests can share one redis-server. */
export function freshPrefix (): string {
  return `t${process.pid}.${++prefixes}:`
}

/** One redis-server for a whole suite (`before`/`after` of `describe`), killed after it. */
export function suiteRedis (hooks: { before: (fn: () => Promise<void>) => void, after: (fn: () => Promise<void>) => void }, options?: RedisServerOptions): () => RedisServer {
  let server: RedisServer | undefined
  const h = new Harness({ after: hooks.after })
  hooks.before(async () => { server = await startRedis(h, options) })
  return () => server!
}

/** A RedisStore over a command client made as the cluster makes it, ready, closed after the test. */
export async function openRedisStore (t: TestContext, url: string, options: RedisStoreOptions & RedisConnectionOptions = {}): Promise<RedisStore> {
  const redis = createRedisClient(url, options)
  const store = new RedisStore(redis, { prefix: freshPrefix(), ...options })
  t.after(async () => { await store.close() })
  await waitReady(redis)
  return store
}
