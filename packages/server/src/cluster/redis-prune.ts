import type { Redis } from 'ioredis'
import type { RetentionPolicy } from '../store/store.js'
import { entryNumber, toInboxEntry, toMessage } from './redis-entries.js'
import type { RawEntry } from './redis-entries.js'
import type { RedisKeys } from './redis-keys.js'
import { TRIM_LUA } from './trim-lua.js'

export interface PruneLimits {
  /** Streams (and inboxes) visited per call; the next call goes on from there. Default 1 000. */
  streamsPerCall?: number
  /** Messages removed from one stream per call. Default 10 000. */
  messagesPerStream?: number
}

const PAGE = 500
const COMMAND = 'chatTrim'

type TrimCommand = (floorKey: string, streamKey: string, stream: string, upTo: string) => Promise<number>

/**
 * Retention over Redis, in bounded steps: one call visits up to
 * `streamsPerCall` streams (HSCAN of `P seq`, resumed by the next call) and
 * removes up to `messagesPerStream` of each, so a call never holds Redis
 * long; a backlog goes over the next calls (the server prunes every
 * minute). Per stream as in the local stores: by count, ids up to
 * `lastId - n` go (ids are contiguous from floor + 1: commits number them,
 * retention only removes the oldest); by age, ids up to the last message
 * older than the cutoff among the oldest pages scanned (a page with a newer
 * message ends the scan: ts follow ids up to the nodes' clock skew).
 * Inboxes lose their leading entries whose message is gone.
 */
/** Where a walk over a hash's fields is: HSCAN's cursor, and fields scanned but not visited yet (a small hash comes whole). */
interface Walk { cursor: string, pending: Array<[string, string]> }

export class RedisPrune {
  private readonly streams: Walk = { cursor: '0', pending: [] }
  private readonly inboxes: Walk = { cursor: '0', pending: [] }
  private readonly streamsPerCall: number
  private readonly perStream: number
  private readonly trim: TrimCommand

  constructor (private readonly redis: Redis, private readonly keys: RedisKeys, limits: PruneLimits = {}) {
    this.streamsPerCall = limits.streamsPerCall ?? 1_000
    this.perStream = limits.messagesPerStream ?? 10_000
    const commands = redis as unknown as Record<string, TrimCommand | undefined>
    if (commands[COMMAND] === undefined) redis.defineCommand(COMMAND, { lua: TRIM_LUA, numberOfKeys: 2 })
    this.trim = commands[COMMAND]!.bind(redis)
  }

  async prune (policy: RetentionPolicy, now: number): Promise<number> {
    let removed = 0
    for (const [stream, last] of await this.next(this.keys.seq, this.streams)) removed += await this.pruneStream(stream, Number(last), policy, now)
    for (const [userKey] of await this.next(this.keys.inboxSeq, this.inboxes)) await this.pruneInbox(userKey)
    return removed
  }

  /** The next `streamsPerCall` fields of a hash (field, value), going on from where the last call stopped; at the end, from the start. */
  private async next (hash: string, walk: Walk): Promise<Array<[string, string]>> {
    let wrapped = false
    while (walk.pending.length < this.streamsPerCall && !wrapped) {
      const [cursor, flat] = await this.redis.hscan(hash, walk.cursor, 'COUNT', Math.min(this.streamsPerCall, 1_000))
      for (let i = 0; i + 1 < flat.length; i += 2) walk.pending.push([flat[i], flat[i + 1]])
      walk.cursor = cursor
      wrapped = cursor === '0'
    }
    return walk.pending.splice(0, this.streamsPerCall)
  }

  private async pruneStream (stream: string, lastId: number, policy: RetentionPolicy, now: number): Promise<number> {
    const floor = Number(await this.redis.hget(this.keys.floor, stream) ?? 0)
    let upTo = policy.maxMessagesPerStream === undefined ? 0 : lastId - policy.maxMessagesPerStream
    if (policy.maxAgeMs !== undefined) upTo = Math.max(upTo, await this.lastStale(stream, floor, now - policy.maxAgeMs))
    upTo = Math.min(upTo, floor + this.perStream)
    if (upTo <= floor) return 0
    return Number(await this.trim(this.keys.floor, this.keys.stream(stream), stream, String(upTo)))
  }

  /** The id of the last message older than `cutoff` among the oldest ones (0 if none). */
  private async lastStale (stream: string, floor: number, cutoff: number): Promise<number> {
    let stale = 0
    for (let start = '-', scanned = 0; scanned < this.perStream;) {
      const page = await this.redis.xrange(this.keys.stream(stream), start, '+', 'COUNT', PAGE) as RawEntry[]
      for (const entry of page) {
        const message = toMessage(stream, entry)
        if (message.ts < cutoff) stale = message.id
      }
      scanned += page.length
      if (page.length < PAGE || stale !== entryNumber(page[page.length - 1][0])) break
      start = `(${page[page.length - 1][0]}`
    }
    return Math.max(stale, floor)
  }

  /** Drops the leading entries of an inbox whose message retention removed (readInbox skips the others). */
  private async pruneInbox (userKey: string): Promise<void> {
    const page = (await this.redis.xrange(this.keys.inbox(userKey), '-', '+', 'COUNT', PAGE) as RawEntry[]).map(toInboxEntry)
    if (page.length === 0) return
    const floors = await this.redis.hmget(this.keys.floor, ...page.map(e => e.message.stream))
    let gone = 0
    while (gone < page.length && page[gone].message.id <= Number(floors[gone] ?? 0)) gone++
    if (gone > 0) await this.redis.xtrim(this.keys.inbox(userKey), 'MINID', `${page[gone - 1].seq}-1`)
  }
}
