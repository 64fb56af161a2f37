import { LUA_PRELUDE } from './lua-prelude.js'

/**
 * Renews this node's lease (Redis's clock, so nodes' clocks need not
 * agree), and, if allowed, retires every node whose lease ran out: its
 * users leave their rooms ('disconnected') and their names are free.
 * ARGV: P, node, leaseMs, mayReap 0|1, presenceLimit.
 * Returns {held 0|1 (this node's lease was still there), nodes retired, users online}.
 */
export const RENEW_LEASE = LUA_PRELUDE + `
local node, lease, mayReap, limit = ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local held = redis.call('ZSCORE', P .. 'nodes', node) and 1 or 0
local retired = 0
if mayReap == '1' then
  for _, dead in ipairs(redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', '(' .. now)) do
    if dead ~= node then
      retireNode(dead, limit)
      retired = retired + 1
    end
  end
end
redis.call('ZADD', P .. 'nodes', now + lease, node)
return {held, retired, redis.call('HLEN', P .. 'users')}
`

/** A node leaving cleanly: what it held goes at once. ARGV: P, node, presenceLimit. */
export const RETIRE_NODE = LUA_PRELUDE + `
retireNode(ARGV[2], tonumber(ARGV[3]))
return 1
`
