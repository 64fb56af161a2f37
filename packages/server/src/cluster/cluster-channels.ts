import type { Redis } from 'ioredis'
import { StoreError, StoreErrorCodes } from '../store/store-error.js'

export interface ChannelHandlers {
  /** A payload on a room's channel (commits and presence of that room, in Redis's order). */
  room: (room: string, payload: string) => void
  /** A payload on this node's own channel (direct messages to its users, sessions replaced elsewhere). */
  node: (payload: string) => void
}

/**
 * This node's Redis subscriptions: its own channel always, and the channel
 * of each room it has members in, so a commit crosses from Redis to each
 * node of the room once and is fanned out here. One subscriber connection;
 * ioredis subscribes again by itself after a reconnect.
 */
export class ClusterChannels {
  private readonly roomPrefix: string
  private readonly nodeChannel: string

  constructor (private readonly sub: Redis, prefix: string, nodeId: string, private readonly handlers: ChannelHandlers) {
    this.roomPrefix = `${prefix}room:`
    this.nodeChannel = `${prefix}node:${nodeId}`
    sub.on('message', (channel: string, payload: string) => {
      if (channel === this.nodeChannel) this.handlers.node(payload)
      else if (channel.startsWith(this.roomPrefix)) this.handlers.room(channel.slice(this.roomPrefix.length), payload)
    })
  }

  async start (): Promise<void> {
    await this.call('subscribe to this node', async () => await this.sub.subscribe(this.nodeChannel))
  }

  /** Resolves once Redis confirmed it: anything published to the room from then on reaches this node. */
  async subscribe (room: string): Promise<void> {
    await this.call(`subscribe to ${room}`, async () => await this.sub.subscribe(this.roomPrefix + room))
  }

  async unsubscribe (room: string): Promise<void> {
    await this.call(`unsubscribe from ${room}`, async () => await this.sub.unsubscribe(this.roomPrefix + room))
  }

  private async call (what: string, run: () => Promise<unknown>): Promise<void> {
    try {
      await run()
    } catch (err) {
      throw new StoreError(StoreErrorCodes.STORAGE_ERROR, `redis: ${what} failed: ${(err as Error).message}`, { cause: err })
    }
  }
}
