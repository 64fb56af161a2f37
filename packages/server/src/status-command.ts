import { parseArgs } from 'node:util'
import { formatClusterStatus, readClusterStatus } from './cluster/cluster-status.js'
import { createRedisClient, waitReady } from './cluster/redis-connection.js'
import { DEFAULT_REDIS_PREFIX } from './cluster/redis-keys.js'

export const STATUS_USAGE = `Usage: chat-server cluster-status --cluster <url> [--cluster-prefix <p>] [--json]

  Prints the nodes of a cluster (their lease, and which users each holds),
  the users online and the rooms with their member counts, read from Redis.
  Exit code 0: read; 1: Redis could not be read.

  --cluster <url>        the cluster's Redis (redis://host:port)
  --cluster-prefix <p>   prefix of its keys (default chat:)
  --json                 one JSON object instead of lines
  -h, --help             show this help`

/** `chat-server cluster-status`: resolves to the exit code. */
export async function runStatusCommand (args: string[]): Promise<number> {
  let values
  try {
    values = parseArgs({ args, options: { cluster: { type: 'string' }, 'cluster-prefix': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } }).values
  } catch (err) {
    console.error(`chat-server cluster-status: ${(err as Error).message}\n\n${STATUS_USAGE}`)
    return 2
  }
  if (values.help === true) {
    console.log(STATUS_USAGE)
    return 0
  }
  const url = values.cluster ?? process.env.CHAT_CLUSTER
  if (url === undefined) {
    console.error(`chat-server cluster-status: --cluster <url> is needed\n\n${STATUS_USAGE}`)
    return 2
  }
  const redis = createRedisClient(url, { lazyConnect: true, connectionName: 'chat cluster-status' })
  try {
    await waitReady(redis, { timeoutMs: 5000 })
    const status = await readClusterStatus(redis, values['cluster-prefix'] ?? DEFAULT_REDIS_PREFIX)
    console.log(values.json === true ? JSON.stringify(status) : formatClusterStatus(status))
    return 0
  } catch (err) {
    console.error(`chat-server cluster-status: ${(err as Error).message}`)
    return 1
  } finally {
    redis.disconnect()
  }
}
