import type { Redis } from 'ioredis'
import type { FullLogger } from '../logger.js'
import { RENEW_LEASE, RETIRE_NODE } from './lease-scripts.js'
import { LuaScript } from './lua-script.js'

const renewScript = new LuaScript('renew lease', RENEW_LEASE)
const retireScript = new LuaScript('retire node', RETIRE_NODE)

export interface NodeLeaseOptions {
  prefix: string
  nodeId: string
  /** A node not heard from for this long is retired by the others. */
  leaseMs: number
  presenceLimit: number
  logger: FullLogger
  /** This node's lease was taken away (it was retired while alive: a long pause, Redis lost its data). */
  onLost: () => void
}

/**
 * This node's place in the cluster: a lease in Redis renewed three times
 * per lease period, and the retiring of nodes whose lease ran out (their
 * users leave their rooms, their names are free). A node retires others
 * only after a whole lease period connected to Redis, so that after Redis
 * comes back every live node has renewed before anyone judges.
 */
export class NodeLease {
  /** Users online in the whole cluster, as of the last renewal. */
  users = 0
  private timer: NodeJS.Timeout | undefined
  private connectedAt = performance.now()
  private registered = false
  private failing = false

  constructor (private readonly redis: Redis, private readonly options: NodeLeaseOptions) {
    redis.on('ready', () => { this.connectedAt = performance.now() })
  }

  async start (): Promise<void> {
    await this.renew()
    this.timer = setInterval(() => { this.renew().catch(() => {}) }, Math.max(50, Math.floor(this.options.leaseMs / 3)))
    this.timer.unref()
  }

  async renew (): Promise<void> {
    const { prefix, nodeId, leaseMs, presenceLimit, logger } = this.options
    const mayReap = performance.now() - this.connectedAt >= leaseMs ? 1 : 0
    try {
      const [held, retired, users] = await renewScript.run<[number, number, number]>(this.redis, [prefix, nodeId, leaseMs, mayReap, presenceLimit])
      if (this.failing) logger.info('redis: lease renewed again')
      this.failing = false
      this.users = users
      if (retired > 0) logger.warn(`retired ${retired} node(s) whose lease ran out: their users left their rooms`)
      if (this.registered && held === 0) {
        logger.error('this node\'s lease was gone from Redis (it was retired, or Redis lost its data): closing its connections so that clients log in again')
        this.options.onLost()
      }
      this.registered = true
    } catch (err) {
      if (!this.failing) logger.error(`redis: renewing this node's lease failed: ${(err as Error).message}`)
      this.failing = true
      throw err
    }
  }

  /** Leaves the cluster cleanly: what this node held goes at once, not a lease later. */
  async stop (): Promise<void> {
    clearInterval(this.timer)
    const { prefix, nodeId, presenceLimit } = this.options
    await retireScript.run(this.redis, [prefix, nodeId, presenceLimit])
  }
}
