import type { Redis } from 'ioredis'
import type { MarkerMove, StreamKey } from '../store/store.js'
import { storing } from './redis-connection.js'
import type { RedisKeys } from './redis-keys.js'

/**
 * Moves a read marker up, atomically, so two nodes moving one user's marker
 * at once can't move it down: the stream's newest id (`P seq`, written by
 * the commit script) caps it, and it is written only if it goes up.
 * KEYS: 1 the user's markers (`P rm:<userKey>`), 2 `P seq`.
 * ARGV: 1 stream, 2 the id asked for.
 * Returns {read, lastId, moved 0|1}.
 */
export const MOVE_READ_MARKER_LUA = `
local stream = ARGV[1]
local lastId = tonumber(redis.call('HGET', KEYS[2], stream) or '0')
local read = math.min(tonumber(redis.call('HGET', KEYS[1], stream) or '0'), lastId)
local to = math.min(tonumber(ARGV[2]), lastId)
if to <= read then return {read, lastId, 0} end
redis.call('HSET', KEYS[1], stream, string.format('%d', to))
return {to, lastId, 1}
`

const COMMAND = 'chatMoveReadMarker'

type MoveCommand = (markers: string, seq: string, stream: string, id: string) => Promise<[number, number, number]>

/** The script on this client (defined once per client: ioredis sends EVALSHA, EVAL when the script is unknown). */
function moveCommand (redis: Redis): MoveCommand {
  const commands = redis as unknown as Record<string, MoveCommand | undefined>
  if (commands[COMMAND] === undefined) redis.defineCommand(COMMAND, { lua: MOVE_READ_MARKER_LUA, numberOfKeys: 2 })
  return commands[COMMAND]!.bind(redis)
}

/** See `MOVE_READ_MARKER_LUA`. Rejects with `storage_error` if Redis fails or is unreachable. */
export async function moveReadMarker (redis: Redis, keys: RedisKeys, userKey: string, stream: StreamKey, id: number): Promise<MarkerMove> {
  const [read, lastId, moved] = await storing('moving a read marker', moveCommand(redis)(keys.readMarkers(userKey), keys.seq, stream, String(id)))
  return { read, lastId, moved: moved === 1 }
}
