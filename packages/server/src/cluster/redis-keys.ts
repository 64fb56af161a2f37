import type { StreamKey } from '../store/store.js'

/** The prefix of every key and channel of one chat service in a Redis database. */
export const DEFAULT_REDIS_PREFIX = 'chat:'

/**
 * Where the cluster keeps what in Redis (values are strings; `P` is the prefix):
 *
 * - `P seq`: HASH stream → last id given (by the commit script)
 * - `P floor`: HASH stream → highest id removed by retention
 * - `P s:<stream>`: STREAM of a room or conversation, entry id `<id>-0`, fields `f` `t` `ts` and `r` (room) or `to`
 * - `P k:<scope> <key>`: STRING `<stream>\n<id>\n<ts>` (idempotency key; expires with retention's max age)
 * - `P iseq`: HASH userKey → last inbox seq given
 * - `P i:<userKey>`: STREAM offline inbox, entry id `<seq>-0`, fields `s` `i` `f` `t` `ts` `to`
 * - `P accounts`: HASH userKey → JSON `{name,passwordHash,createdAt}`
 * - `P rm:<userKey>`: HASH stream → the newest id the user read (read markers; only raised, by marker-script.ts)
 * - channels `P room:<room>` and `P node:<node>`: what a commit publishes (and typing events and read receipts)
 */
export interface RedisKeys {
  readonly prefix: string
  readonly seq: string
  readonly floor: string
  readonly inboxSeq: string
  readonly accounts: string
  stream: (stream: StreamKey) => string
  /** A scope has no space, so `<scope> <key>` is unambiguous. */
  idempotency: (scope: string, key: string) => string
  inbox: (userKey: string) => string
  readMarkers: (userKey: string) => string
  roomChannel: (room: string) => string
  nodeChannel: (node: string) => string
}

export function redisKeys (prefix = DEFAULT_REDIS_PREFIX): RedisKeys {
  return {
    prefix,
    seq: `${prefix}seq`,
    floor: `${prefix}floor`,
    inboxSeq: `${prefix}iseq`,
    accounts: `${prefix}accounts`,
    stream: stream => `${prefix}s:${stream}`,
    idempotency: (scope, key) => `${prefix}k:${scope} ${key}`,
    inbox: userKey => `${prefix}i:${userKey}`,
    readMarkers: userKey => `${prefix}rm:${userKey}`,
    roomChannel: room => `${prefix}room:${room}`,
    nodeChannel: node => `${prefix}node:${node}`
  }
}
