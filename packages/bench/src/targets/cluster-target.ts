import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { RedisStore, SqliteStore } from '@chat/server'
import { onEmergencyExit } from '../child-processes.js'
import type { Endpoint, Protocol, TargetKind } from '../load/target.js'
import { readRedisCounters, redisUnavailable, startRedisProcess } from '../redis-process.js'
import type { Appendfsync, RedisCounters, RedisProcess } from '../redis-process.js'
import { startServerProcess } from '../server-process.js'
import type { ServerProcess } from '../server-process.js'
import { BENCH_LIMITS } from './chat-target.js'
import type { StoredTarget } from './stored-check.js'

/** Our adapter (unkeyed sends, keyed as the SDK keys them, or keyed with random UUIDs) or `@chat/client`'s real calls. */
export type Driver = 'chat' | 'chat keyed' | 'chat uuid keys' | 'chat-sdk'

function endpoint (driver: Driver, port: number): Endpoint {
  const protocol: Protocol = driver === 'chat-sdk' ? 'chat-sdk' : 'chat'
  return { protocol, port, keyed: driver === 'chat keyed' || driver === 'chat uuid keys', uuidKeys: driver === 'chat uuid keys' }
}

/** What a probe of a cluster target reads: Redis's counters, and how many nodes hear the fan-out room's channel. */
export interface ClusterProbe extends RedisCounters {
  /** Subscribers of `chat:room:bench` (one per node with members in it). */
  roomSubscribers: number
}

export interface ClusterTarget extends StoredTarget {
  redis: RedisProcess
  nodes: ServerProcess[]
}

export interface ClusterPlan {
  nodes: number
  appendfsync: Appendfsync
  driver: Driver
  /** Subscribers round robin over the nodes (default), or all on the first. */
  subscribersOn?: 'spread' | 'first'
  /** Publishers on the first node (default), or round robin over the nodes. */
  publishersOn?: 'first' | 'spread'
}

/**
 * Our server as a cluster: a redis-server of its own (`appendfsync` as
 * planned, a fresh directory) and `nodes` chat-server processes started with
 * `--cluster` on it, each its own node id. Redis and every node count as the
 * server (CPU); the probe reads Redis's INFO.
 */
export function clusterTarget (name: string, plan: ClusterPlan): TargetKind<ClusterTarget> {
  return {
    name,
    unavailable: redisUnavailable,
    start: async () => {
      const redis = await startRedisProcess(plan.appendfsync)
      const nodes: ServerProcess[] = []
      const stop = async (): Promise<void> => {
        for (const node of nodes) await node.stop()
        await redis.stop()
      }
      try {
        for (let i = 0; i < plan.nodes; i++) {
          const node = await startServerProcess(['--auth', 'open', ...BENCH_LIMITS, '--cluster', redis.url, '--node-id', `bench-${i}`])
          nodes.push({ ...node, name: `node ${i}` })
        }
        const client = await redis.client()
        const endpoints = nodes.map(node => endpoint(plan.driver, node.port))
        return {
          name,
          process: nodes[0],
          helpers: [...nodes.slice(1), { ...redis, name: 'redis' }],
          endpoint: endpoints[0],
          subscriberEndpoints: plan.subscribersOn === 'first' ? undefined : endpoints,
          publisherEndpoints: plan.publishersOn === 'spread' ? endpoints : undefined,
          probe: async (): Promise<ClusterProbe> => {
            const [counters, numsub] = await Promise.all([readRedisCounters(client), client.call('PUBSUB', 'NUMSUB', 'chat:room:bench') as Promise<[string, number]>])
            return { ...counters, roomSubscribers: Number(numsub[1]) }
          },
          storedReader: async () => {
            const store = new RedisStore(client, { closeClient: false })
            return { readAfter: async (stream, after, limit) => await store.readAfter(stream, after, limit), close: () => {} }
          },
          redis,
          nodes,
          stop
        } satisfies ClusterTarget
      } catch (err) {
        await stop()
        throw err
      }
    }
  }
}

/**
 * Our server alone on its SQLite store (`--data`, durability full by default:
 * the CLI's defaults), in a temporary directory removed at `stop`; its
 * messages are read back with `SqliteStore` once it has stopped (it holds the file).
 */
export function sqliteTarget (name: string, driver: Driver, durability: 'full' | 'normal' = 'full'): TargetKind<StoredTarget> {
  return {
    name,
    unavailable: () => undefined,
    start: async () => {
      const dir = mkdtempSync(join(tmpdir(), 'chat-bench-sqlite-'))
      const removeDir = onEmergencyExit(() => { rmSync(dir, { recursive: true, force: true }) })
      let server: ServerProcess
      try {
        server = await startServerProcess(['--auth', 'open', ...BENCH_LIMITS, '--data', dir, '--durability', durability])
      } catch (err) {
        removeDir()
        throw err
      }
      let store: SqliteStore | undefined
      return {
        name,
        process: server,
        endpoint: endpoint(driver, server.port),
        storedReader: async () => {
          await server.stop()
          store = new SqliteStore(dir)
          return { readAfter: (stream, after, limit) => store!.readAfter(stream, after, limit), close: () => { store?.close() } }
        },
        stop: async () => {
          await server.stop()
          store?.close()
          removeDir()
        }
      } satisfies StoredTarget
    }
  }
}
