/**
 * Lua shared by the cluster's scripts. Every script gets the key prefix as
 * ARGV[1]. A member entry of a room (`P ms:<room>`: user key → value) is
 * `<sid> <name>`, and a session id is `<node>#<n>`, so whose session holds a
 * place, and on which node, is read from the entry itself.
 */
export const LUA_PRELUDE = `
local P = ARGV[1]
local function sidOf (entry) return string.match(entry, '^(%S+)') end
local function nameOf (entry) return string.match(entry, ' (.*)$') end
local function onNode (sid, node) return string.sub(sid, 1, #node + 1) == node .. '#' end
local function presence (room, event) redis.call('PUBLISH', P .. 'room:' .. room, cjson.encode(event)) end
-- Takes a member out of a room (its entry given); announces the leave if the room is small enough.
local function removeMember (room, k, entry, reason, limit)
  redis.call('ZREM', P .. 'm:' .. room, k)
  redis.call('HDEL', P .. 'ms:' .. room, k)
  redis.call('SREM', P .. 'ur:' .. k, room)
  local size = redis.call('ZCARD', P .. 'm:' .. room)
  if size == 0 then redis.call('ZREM', P .. 'rooms', room) end
  if size < limit then presence(room, { t = 'p', e = 'leave', u = nameOf(entry), r = reason }) end
  return size
end
-- Everything a node held: its users' names and places in rooms (announced as left, 'disconnected').
local function retireNode (node, limit)
  local usersKey = P .. 'node:' .. node .. ':users'
  for _, k in ipairs(redis.call('SMEMBERS', usersKey)) do
    local cur = redis.call('HGET', P .. 'users', k)
    if cur and cjson.decode(cur).node == node then redis.call('HDEL', P .. 'users', k) end
    for _, room in ipairs(redis.call('SMEMBERS', P .. 'ur:' .. k)) do
      local entry = redis.call('HGET', P .. 'ms:' .. room, k)
      if entry and onNode(sidOf(entry), node) then removeMember(room, k, entry, 'disconnected', limit) end
    end
  end
  redis.call('DEL', usersKey)
  redis.call('ZREM', P .. 'nodes', node)
end
`
