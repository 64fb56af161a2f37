import { randomBytes } from 'node:crypto'
import { hostname } from 'node:os'

export interface ClusterOptions {
  /** The Redis every node of the cluster shares: `redis://host:port` (or `rediss://`, with `user:password@`, `/db`). */
  url: string
  /** Prefix of every key and channel (several clusters can share a Redis). Default `chat:`. */
  prefix?: string
  /** This node's name in the cluster (logs, `/metrics`, who holds whom). Default `<host>-<pid>-<random>`: unique per process. */
  nodeId?: string
  /** A node silent for this long is retired by the others (its users leave their rooms). Default 3000 ms. */
  leaseMs?: number
}

export interface ResolvedClusterOptions extends Required<ClusterOptions> {}

export const DEFAULT_LEASE_MS = 3000

export function resolveClusterOptions (options: ClusterOptions): ResolvedClusterOptions {
  const nodeId = options.nodeId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`
  // Session ids are `<node>#<n>`, names of channels and keys carry it: no spaces, no '#'.
  if (!/^[\w.:-]{1,64}$/.test(nodeId)) throw new TypeError(`a node id is 1-64 letters, digits, '.', ':', '_' or '-': ${JSON.stringify(nodeId)}`)
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS
  if (!Number.isInteger(leaseMs) || leaseMs < 300) throw new TypeError(`leaseMs is an integer of at least 300: ${leaseMs}`)
  if (!/^rediss?:\/\//.test(options.url)) throw new TypeError(`a cluster URL is redis://host:port or rediss://host:port: ${JSON.stringify(options.url)}`)
  return { url: options.url, prefix: options.prefix ?? 'chat:', nodeId, leaseMs }
}
