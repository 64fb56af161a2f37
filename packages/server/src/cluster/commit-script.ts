import type { Redis } from 'ioredis'
import type { IdempotencyKey, StreamKey } from '../store/store.js'
import { COMMIT_LUA } from './commit-lua.js'
import { storing } from './redis-connection.js'
import type { RedisKeys } from './redis-keys.js'

/** A message to store; its id is given by the commit. */
export interface CommitWrite {
  message: { stream: StreamKey, from: string, text: string, ts: number, room?: string, to?: string }
  /** Lower-cased username whose offline inbox gets this message. */
  inboxFor?: string
  idempotency?: IdempotencyKey
  /** A direct message's recipient is online on this node: published on its node channel. */
  targetNode?: string
  /** The recipient's user key, in the node channel's payload. */
  targetKey?: string
}

/** What became of a write: its id and ts, the stored ones if it was a duplicate (then nothing was written). */
export interface CommitOutcome {
  id: number
  ts: number
  duplicate: boolean
}

export interface CommitSettings {
  /** Idempotency keys expire after this long (retention's max age). */
  keyTtlMs?: number
  /** Streams written are trimmed to this many newest messages in the same script. */
  maxMessagesPerStream?: number
}

const COMMAND = 'chatCommit'

/** Per write: its id, or `[id, ts]` (the stored ones) for a duplicate. */
type CommitCommand = (...args: string[]) => Promise<Array<number | [number, string]>>

/** The commit script on this client (defined once per client: ioredis sends EVALSHA, EVAL when the script is unknown). */
function commitCommand (redis: Redis): CommitCommand {
  const commands = redis as unknown as Record<string, CommitCommand | undefined>
  if (commands[COMMAND] === undefined) redis.defineCommand(COMMAND, { lua: COMMIT_LUA })
  return commands[COMMAND]!.bind(redis)
}

/**
 * Stores `writes` atomically, in order, in one round trip (one EVALSHA), and
 * publishes them (see commit-lua.ts). Rejects with `storage_error` if Redis
 * fails or is unreachable; then nothing or everything was stored.
 */
export async function commit (redis: Redis, keys: RedisKeys, writes: readonly CommitWrite[], settings: CommitSettings = {}): Promise<CommitOutcome[]> {
  if (writes.length === 0) return []
  const keyArgs: string[] = [keys.seq, keys.floor, keys.inboxSeq]
  const args: string[] = [keys.roomChannel(''), keys.nodeChannel(''), String(settings.keyTtlMs ?? 0), String(settings.maxMessagesPerStream ?? 0)]
  for (const write of writes) {
    const { message: m, idempotency, inboxFor } = write
    if (!Number.isSafeInteger(m.ts) || m.ts < 0) throw new TypeError(`ts must be a non-negative integer, got ${m.ts}`)
    if ((m.room === undefined) === (m.to === undefined)) throw new TypeError('a message has either a room or a recipient (to)')
    if (m.room === '' || m.to === '' || inboxFor === '' || write.targetNode === '') throw new TypeError('room, to, inboxFor and targetNode must not be empty')
    // The script's kinds of write (commit-lua.ts): 'r' and 'k' room messages without and with a key, 'd' direct.
    const idemKey = idempotency === undefined ? undefined : keys.idempotency(idempotency.scope, idempotency.key)
    if (m.room !== undefined) {
      if (idemKey === undefined) keyArgs.push(keys.stream(m.stream))
      else keyArgs.push(keys.stream(m.stream), idemKey)
      args.push(idemKey === undefined ? 'r' : 'k', m.stream, m.from, m.text, String(m.ts), m.room)
    } else {
      keyArgs.push(keys.stream(m.stream), idemKey ?? '', inboxFor === undefined ? '' : keys.inbox(inboxFor))
      args.push('d', m.stream, m.from, m.text, String(m.ts), m.to!, inboxFor ?? '', write.targetNode ?? '', write.targetKey ?? '')
    }
  }
  const replies = await storing(`storing ${writes.length} message(s)`, commitCommand(redis)(String(keyArgs.length), ...keyArgs, ...args))
  return replies.map((reply, i) => typeof reply === 'number'
    ? { id: reply, ts: writes[i].message.ts, duplicate: false }
    : { id: Number(reply[0]), ts: Number(reply[1]), duplicate: true })
}
