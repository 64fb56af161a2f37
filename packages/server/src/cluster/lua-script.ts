import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { StoreError, StoreErrorCodes } from '../store/store-error.js'

/**
 * A Lua script run by its SHA1 (EVALSHA), loaded on first use and again
 * after Redis lost its script cache (a restart): what ioredis's
 * `defineCommand` does, but typed, and with every failure a `StoreError`
 * `storage_error` saying what failed.
 */
export class LuaScript {
  private readonly sha: string

  constructor (readonly name: string, private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex')
  }

  async run<T = unknown> (redis: Redis, args: Array<string | number>): Promise<T> {
    try {
      try {
        return await redis.evalsha(this.sha, 0, ...args) as T
      } catch (err) {
        if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err
        return await redis.eval(this.lua, 0, ...args) as T
      }
    } catch (err) {
      throw new StoreError(StoreErrorCodes.STORAGE_ERROR, `redis: ${this.name} failed: ${(err as Error).message}`, { cause: err })
    }
  }
}
