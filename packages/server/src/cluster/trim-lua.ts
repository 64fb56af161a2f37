/**
 * Retention of one stream (Lua, atomic): raises its floor to `upTo` and
 * removes the entries up to it. A floor already at or above it (another
 * node's prune, a commit's count trim) leaves everything as it is.
 * KEYS: 1 floor, 2 the stream. ARGV: 1 stream name, 2 upTo. Returns how many entries went.
 */
export const TRIM_LUA = `
local upTo = tonumber(ARGV[2])
if upTo <= tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0') then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return redis.call('XTRIM', KEYS[2], 'MINID', ARGV[2] .. '-1')
`
