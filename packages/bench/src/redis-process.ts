import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRedisClient, waitReady } from '@chat/server'
import { onEmergencyExit, startProcess, waitForOutput } from './child-processes.js'
import type { ManagedProcess } from './child-processes.js'
import { freePort } from './free-port.js'
import { installed } from './installed.js'

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server'

/** How often Redis syncs its append-only file: `always` before answering each event loop's writes, `everysec` once a second. */
export type Appendfsync = 'always' | 'everysec'

/** An ioredis client, as `@chat/server` makes them. */
export type RedisClient = ReturnType<typeof createRedisClient>

/** A redis-server of the bench's own: loopback, a free port, a temporary directory, the append-only file on. */
export interface RedisProcess extends ManagedProcess {
  url: string
  port: number
  dir: string
  appendfsync: Appendfsync
  /** A command client (made on first use, closed by `stop`). */
  client: () => Promise<RedisClient>
}

/** Why Redis rows are skipped, or undefined. */
export function redisUnavailable (): string | undefined {
  return installed(REDIS_SERVER) ? undefined : `${REDIS_SERVER} not installed (Debian: apt-get install redis-server)`
}

/**
 * Starts `redis-server` as the cluster's rows need it (as packages/testing's
 * `startRedis` does for the tests): bound to 127.0.0.1 on a free port below
 * 32768, its data in a temporary directory, no RDB snapshots, the
 * append-only file synced as `appendfsync` says. Stopped by pid (SIGTERM,
 * then SIGKILL), and its directory removed, by `stop` or on any exit.
 */
export async function startRedisProcess (appendfsync: Appendfsync): Promise<RedisProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-bench-redis-'))
  const removeDir = onEmergencyExit(() => { rmSync(dir, { recursive: true, force: true }) })
  let proc: ManagedProcess | undefined
  try {
    const port = await freePort()
    proc = startProcess('redis-server', REDIS_SERVER, [
      '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', appendfsync
    ])
    await waitForOutput(proc, /Ready to accept connections/, 15_000)
    const url = `redis://127.0.0.1:${port}`
    let client: RedisClient | undefined
    const started = proc
    return {
      ...started,
      url,
      port,
      dir,
      appendfsync,
      client: async () => {
        if (client === undefined) {
          client = createRedisClient(url, { connectionName: 'bench' })
          await waitReady(client)
        }
        return client
      },
      stop: async graceMs => {
        client?.disconnect()
        await started.stop(graceMs)
        removeDir()
      }
    }
  } catch (err) {
    await proc?.stop()
    removeDir()
    throw err
  }
}

/** One command's figures from `INFO commandstats`. */
export interface CommandStat {
  calls: number
  usec: number
}

/** What Redis has done so far: `INFO stats` and `INFO commandstats`. */
export interface RedisCounters {
  totalCommands: number
  commands: Record<string, CommandStat>
}

export async function readRedisCounters (client: RedisClient): Promise<RedisCounters> {
  const text = await client.call('INFO', 'stats', 'commandstats') as string
  const commands: Record<string, CommandStat> = {}
  for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) commands[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) }
  return { totalCommands: Number(/^total_commands_processed:(\d+)/m.exec(text)?.[1] ?? NaN), commands }
}
