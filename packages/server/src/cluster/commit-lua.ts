/**
 * The commit script (Lua, run by EVALSHA: atomic). For each write in order:
 * a write whose idempotency key is stored (and whose message retention has
 * not removed) is a duplicate: its outcome is the stored `{id, ts}`, nothing
 * is written. Otherwise: id = the stream's last + 1, XADD `<id>-0`, the key
 * set (by the same SET NX GET that checked it), XADD to the inbox. Last ids
 * (`P seq`, `P iseq`) are read once per stream and written once per commit:
 * cheaper than HINCRBY per message, as atomic. Then, if a per-stream count
 * is set, each stream written is trimmed to it (raising its floor). Last,
 * ONE publish per room and per target node, messages in commit order.
 * Numbers are written with `%d` (cjson keeps 14 digits only); strings with
 * cjson.encode, which escapes `"`, `\`, `/` and control characters and
 * passes UTF-8 through: JSON.parse gives the text back exactly.
 *
 * Each write takes only the arguments its kind needs (the node's encoding
 * and Redis's reading of them cost per argument): a room message without
 * a key, the common case, one key and six arguments.
 * KEYS: 1 seq, 2 floor, 3 iseq; then per write: its stream, then its
 * idempotency key (kinds 'k' and 'd'; '' if none for 'd'), then its inbox
 * (kind 'd'; '' if none).
 * ARGV: 1 room channel prefix, 2 node channel prefix, 3 key TTL ms (0: none),
 * 4 messages kept per stream (0: all); then per write its kind, stream, from,
 * text, ts, and: kinds 'r' (room message) and 'k' (room message with a key):
 * room; kind 'd' (direct message): to, inboxFor, targetNode, targetKey ('' if
 * none).
 * Returns per write its id (a number), or `{id, ts}` for a duplicate (the
 * stored ones): a fresh write's ts is the one it was given.
 */
export const COMMIT_LUA = `
local roomPrefix, nodePrefix = ARGV[1], ARGV[2]
local ttl, keep = tonumber(ARGV[3]), tonumber(ARGV[4])
local enc, fmt = cjson.encode, string.format
local out = {}
local rooms, roomOrder, nodes, nodeOrder, touched = {}, {}, {}, {}, {}
local lastIds, lastSeqs = {}, {}

local function setKey (key, value)
  if ttl > 0 then return redis.call('SET', key, value, 'PX', ttl) end
  return redis.call('SET', key, value)
end

-- The stored {id, ts} of a key, unless its message is gone (then the key is taken over).
local function storedUnder (key, value)
  local stored
  if ttl > 0 then stored = redis.call('SET', key, value, 'NX', 'GET', 'PX', ttl)
  else stored = redis.call('SET', key, value, 'NX', 'GET') end
  if not stored then return nil end
  local s, id, t = string.match(stored, '^(.*)\\n(%d+)\\n(%d+)$')
  if tonumber(id) > tonumber(redis.call('HGET', KEYS[2], s) or '0') then return { tonumber(id), t } end
  setKey(key, value)
  return nil
end

local nargs, a, k, w = #ARGV, 5, 4, 0
while a <= nargs do
  w = w + 1
  local kind, stream, from, text, ts = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
  local streamKey, idemKey, inboxKey = KEYS[k], '', ''
  local room, to, inboxFor, node, targetKey = '', '', '', '', ''
  if kind == 'd' then
    to, inboxFor, node, targetKey = ARGV[a + 5], ARGV[a + 6], ARGV[a + 7], ARGV[a + 8]
    idemKey, inboxKey = KEYS[k + 1], KEYS[k + 2]
    a, k = a + 9, k + 3
  else
    room = ARGV[a + 5]
    if kind == 'k' then idemKey = KEYS[k + 1]; k = k + 2 else k = k + 1 end
    a = a + 6
  end
  local id = (lastIds[stream] or tonumber(redis.call('HGET', KEYS[1], stream) or '0')) + 1
  local ids = fmt('%d', id)
  local dup
  if idemKey ~= '' then dup = storedUnder(idemKey, stream .. '\\n' .. ids .. '\\n' .. ts) end
  if dup then
    out[w] = dup
  else
    lastIds[stream] = id
    if room ~= '' then
      redis.call('XADD', streamKey, ids .. '-0', 'f', from, 't', text, 'ts', ts, 'r', room)
    else
      redis.call('XADD', streamKey, ids .. '-0', 'f', from, 't', text, 'ts', ts, 'to', to)
    end
    if inboxKey ~= '' then
      local seq = (lastSeqs[inboxFor] or tonumber(redis.call('HGET', KEYS[3], inboxFor) or '0')) + 1
      lastSeqs[inboxFor] = seq
      redis.call('XADD', inboxKey, fmt('%d', seq) .. '-0', 's', stream, 'i', ids, 'f', from, 't', text, 'ts', ts, 'to', to)
    end
    out[w] = id
    touched[stream] = streamKey
    if room ~= '' then
      local list = rooms[room]
      if not list then list = {}; rooms[room] = list; roomOrder[#roomOrder + 1] = room end
      list[#list + 1] = '[' .. ids .. ',' .. ts .. ',' .. enc(from) .. ',' .. enc(text) .. ']'
    elseif node ~= '' then
      local list = nodes[node]
      if not list then list = {}; nodes[node] = list; nodeOrder[#nodeOrder + 1] = node end
      list[#list + 1] = '[' .. ids .. ',' .. ts .. ',' .. enc(from) .. ',' .. enc(to) .. ',' .. enc(text) .. ',' .. enc(targetKey) .. ',' .. enc(stream) .. ']'
    end
  end
end
for stream, id in pairs(lastIds) do redis.call('HSET', KEYS[1], stream, fmt('%d', id)) end
for user, seq in pairs(lastSeqs) do redis.call('HSET', KEYS[3], user, fmt('%d', seq)) end
if keep > 0 then
  for stream, streamKey in pairs(touched) do
    local upTo = lastIds[stream] - keep
    if upTo > tonumber(redis.call('HGET', KEYS[2], stream) or '0') then
      redis.call('XTRIM', streamKey, 'MINID', fmt('%d', upTo + 1) .. '-0')
      redis.call('HSET', KEYS[2], stream, fmt('%d', upTo))
    end
  end
end
for _, room in ipairs(roomOrder) do
  redis.call('PUBLISH', roomPrefix .. room, '{"t":"m","m":[' .. table.concat(rooms[room], ',') .. ']}')
end
for _, node in ipairs(nodeOrder) do
  redis.call('PUBLISH', nodePrefix .. node, '{"t":"dm","m":[' .. table.concat(nodes[node], ',') .. ']}')
end
return out
`
