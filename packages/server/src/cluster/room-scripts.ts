import { LUA_PRELUDE } from './lua-prelude.js'

/**
 * Adds a member (a room is made by its first join; the join order is a
 * global sequence, so every node lists members alike) and announces it on
 * the room's channel, where it falls in order among the room's messages.
 * ARGV: P, room, userKey, sid, name, presenceLimit, maxListed.
 * Returns {added 0|1, size, lastId, names...}.
 */
export const JOIN_ROOM = LUA_PRELUDE + `
local room, k, sid, name = ARGV[2], ARGV[3], ARGV[4], ARGV[5]
local limit, listed = tonumber(ARGV[6]), tonumber(ARGV[7])
local m, ms = P .. 'm:' .. room, P .. 'ms:' .. room
local lastId = tonumber(redis.call('HGET', P .. 'seq', 'r:' .. room) or '0')
local cur = redis.call('HGET', ms, k)
local added = 1
if cur and sidOf(cur) == sid then added = 0 end
if added == 1 then
  if not cur then redis.call('ZADD', m, redis.call('INCR', P .. 'joinseq'), k) end
  redis.call('HSET', ms, k, sid .. ' ' .. name)
  redis.call('SADD', P .. 'ur:' .. k, room)
  redis.call('ZADD', P .. 'rooms', 0, room)
end
local size = redis.call('ZCARD', m)
local reply = {added, size, lastId}
if size > limit then return reply end
if added == 1 then presence(room, { t = 'p', e = 'join', u = name, sid = sid }) end
local keys = redis.call('ZRANGE', m, 0, listed - 1)
if #keys > 0 then
  for _, e in ipairs(redis.call('HMGET', ms, unpack(keys))) do reply[#reply + 1] = nameOf(e) end
end
return reply
`

/** Removes a member if this session (sid) holds the place. ARGV: P, room, userKey, sid, reason, presenceLimit. Returns the size left, or -1. */
export const LEAVE_ROOM = LUA_PRELUDE + `
local room, k, sid, reason, limit = ARGV[2], ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6])
local entry = redis.call('HGET', P .. 'ms:' .. room, k)
if not entry or sidOf(entry) ~= sid then return -1 end
return removeMember(room, k, entry, reason, limit)
`

/** A room's size and its first members' names, in join order. ARGV: P, room, limit. Returns {size, names...}. */
export const ROOM_MEMBERS = LUA_PRELUDE + `
local room, limit = ARGV[2], tonumber(ARGV[3])
local m = P .. 'm:' .. room
local reply = {redis.call('ZCARD', m)}
if reply[1] == 0 or limit <= 0 then return reply end
local keys = redis.call('ZRANGE', m, 0, limit - 1)
for _, e in ipairs(redis.call('HMGET', P .. 'ms:' .. room, unpack(keys))) do reply[#reply + 1] = nameOf(e) end
return reply
`

/** Rooms with members, by name (all scores are 0, so the order is the bytes'), and their sizes. ARGV: P, limit (-1: all). Returns {name, size, ...}. */
export const ROOM_LIST = LUA_PRELUDE + `
local limit = tonumber(ARGV[2])
local reply = {}
for _, room in ipairs(redis.call('ZRANGE', P .. 'rooms', 0, limit < 0 and -1 or limit - 1)) do
  reply[#reply + 1] = room
  reply[#reply + 1] = redis.call('ZCARD', P .. 'm:' .. room)
end
return reply
`
