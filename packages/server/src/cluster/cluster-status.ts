import type { Redis } from 'ioredis'

export interface NodeStatus {
  id: string
  /** Until its lease runs out (negative: run out, it is about to be retired). */
  leaseLeftMs: number
  /** Its users' names, sorted. */
  users: string[]
}

export interface ClusterStatus {
  nodes: NodeStatus[]
  /** Logged in across the cluster. */
  users: number
  rooms: Array<{ room: string, members: number }>
}

/** Which node holds whom, read from Redis (what `chat-server cluster-status` prints). */
export async function readClusterStatus (redis: Redis, prefix: string): Promise<ClusterStatus> {
  const [seconds, micros] = await redis.time()
  const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000)
  const leases = await redis.zrange(`${prefix}nodes`, '0', '-1', 'WITHSCORES')
  const nodes: NodeStatus[] = []
  for (let i = 0; i < leases.length; i += 2) {
    const id = leases[i]
    const keys = await redis.smembers(`${prefix}node:${id}:users`)
    const entries = keys.length === 0 ? [] : await redis.hmget(`${prefix}users`, ...keys)
    // A name the node no longer holds (taken over elsewhere) is not its user.
    const users = entries.flatMap(raw => {
      if (raw === null) return []
      const entry = JSON.parse(raw) as { node: string, username: string }
      return entry.node === id ? [entry.username] : []
    })
    nodes.push({ id, leaseLeftMs: Number(leases[i + 1]) - now, users: users.sort() })
  }
  const names = await redis.zrange(`${prefix}rooms`, '0', '-1')
  const rooms = []
  for (const room of names) rooms.push({ room, members: await redis.zcard(`${prefix}m:${room}`) })
  return { nodes, users: await redis.hlen(`${prefix}users`), rooms }
}

/** The status as lines for a person. */
export function formatClusterStatus (status: ClusterStatus): string {
  const lines = status.nodes.map(node => {
    const lease = node.leaseLeftMs >= 0 ? `lease ${(node.leaseLeftMs / 1000).toFixed(1)} s left` : `lease ran out ${(-node.leaseLeftMs / 1000).toFixed(1)} s ago (being retired)`
    return `node ${node.id}: ${lease}, ${node.users.length} user(s)${node.users.length === 0 ? '' : `: ${node.users.join(', ')}`}`
  })
  if (lines.length === 0) lines.push('no node is in the cluster')
  lines.push(`${status.users} user(s) online, ${status.rooms.length} room(s)${status.rooms.length === 0 ? '' : `: ${status.rooms.map(r => `${r.room} (${r.members})`).join(', ')}`}`)
  return lines.join('\n')
}
