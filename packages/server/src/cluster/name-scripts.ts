import { LUA_PRELUDE } from './lua-prelude.js'

/**
 * Takes a name if its holder is still what the caller read (compare and
 * set: `expected` is the raw entry read before, '' for nobody). A session
 * of another node that is replaced is told on its node's channel; the
 * rooms it held pass to the new session in place (nobody leaves or joins).
 * ARGV: P, userKey, expected, entry (JSON), node, sid, name.
 * Returns {1, rooms passed...} or {0} if the name changed hands meanwhile.
 */
export const CLAIM_NAME = LUA_PRELUDE + `
local k, expected, entry, node, sid, name = ARGV[2], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
local cur = redis.call('HGET', P .. 'users', k)
if (cur or '') ~= expected then return {0} end
redis.call('HSET', P .. 'users', k, entry)
redis.call('SADD', P .. 'node:' .. node .. ':users', k)
local passed = {1}
if cur then
  local old = cjson.decode(cur)
  if old.node ~= node then
    redis.call('SREM', P .. 'node:' .. old.node .. ':users', k)
    redis.call('PUBLISH', P .. 'node:' .. old.node, cjson.encode({ t = 'replaced', k = k, sid = old.sid }))
  end
  for _, room in ipairs(redis.call('SMEMBERS', P .. 'ur:' .. k)) do
    local e = redis.call('HGET', P .. 'ms:' .. room, k)
    if e and sidOf(e) == old.sid then
      redis.call('HSET', P .. 'ms:' .. room, k, sid .. ' ' .. name)
      passed[#passed + 1] = room
    end
  end
end
return passed
`

/** Gives a name up if this session (sid) still holds it. ARGV: P, userKey, sid, node. */
export const RELEASE_NAME = LUA_PRELUDE + `
local k, sid, node = ARGV[2], ARGV[3], ARGV[4]
local cur = redis.call('HGET', P .. 'users', k)
if not cur or cjson.decode(cur).sid ~= sid then return 0 end
redis.call('HDEL', P .. 'users', k)
redis.call('SREM', P .. 'node:' .. node .. ':users', k)
return 1
`
