import { createServer } from '@chat/server'
import type { ChatServer, ServerOptions } from '@chat/server'
import { startRedis } from '@chat/testing'
import type { Harness, RedisServer, RedisServerOptions, Served } from '@chat/testing'

/** Short enough that a dead node's users go within a test's patience, long enough for a loaded machine. */
export const TEST_LEASE_MS = 1500

export interface TestCluster {
  redis: RedisServer
  nodes: Array<Served<ChatServer>>
  urls: string[]
  /** Starts one more node on the same Redis. */
  add: (options?: ServerOptions) => Promise<Served<ChatServer>>
}

/**
 * A real redis-server and `count` chat servers in this process, each on its
 * own loopback ports, sharing the service through it (`--cluster`).
 */
export async function startCluster (h: Harness, count: number, options: ServerOptions & { redis?: RedisServerOptions } = {}): Promise<TestCluster> {
  const { redis: redisOptions, ...serverOptions } = options
  const redis = await startRedis(h, redisOptions)
  const cluster: TestCluster = {
    redis,
    nodes: [],
    urls: [],
    add: async (more = {}) => {
      const served = await h.serve(createServer({ ...serverOptions, ...more, cluster: { url: redis.url, leaseMs: TEST_LEASE_MS, ...more.cluster } }))
      cluster.nodes.push(served)
      cluster.urls.push(served.url)
      return served
    }
  }
  for (let i = 0; i < count; i++) await cluster.add({ cluster: { url: redis.url, nodeId: `node${i + 1}` } })
  return cluster
}
