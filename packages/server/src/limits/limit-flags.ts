import type { LimitOptions } from './limit-options.js'

/** `chat-server --help` lines for the limits. */
export const LIMIT_USAGE = `  --login-timeout-ms <n>        close a connection not logged in this long after it opened (default 10000)
  --max-login-frame-bytes <n>   largest frame accepted before login (default 8192)
  --max-connections <n>         open connections in all (default 10000)
  --max-connections-per-ip <n>  open connections from one IPv4 address or IPv6 /64 (default 100)
  --messages-per-second <n>     sends and direct messages per connection, 0: no limit (default 200)
  --message-burst <n>           ...allowed at once after a quiet while (default: twice the rate)
  --bytes-per-second <n>        bytes a connection may send, 0: no limit (default 1048576)
  --byte-burst <n>              ...at once after a quiet while (default: twice the rate)
  --requests-per-second <n>     history, replay, rooms, members, read and unread requests per connection, 0: no limit (default 20)
  --request-burst <n>           ...at once after a quiet while (default 100; with --requests-per-second, twice it)
  --registrations-per-hour <n>  accounts registered from one address, 0: no limit (default 5)`

/** The limits' flags, for `parseArgs`. */
export const LIMIT_FLAGS = {
  'login-timeout-ms': { type: 'string' },
  'max-login-frame-bytes': { type: 'string' },
  'max-connections': { type: 'string' },
  'max-connections-per-ip': { type: 'string' },
  'messages-per-second': { type: 'string' },
  'message-burst': { type: 'string' },
  'bytes-per-second': { type: 'string' },
  'byte-burst': { type: 'string' },
  'requests-per-second': { type: 'string' },
  'request-burst': { type: 'string' },
  'registrations-per-hour': { type: 'string' }
} as const

/** The limits the flags set; `integer` reads one flag's value (exiting with a usage error on a bad one). */
export function limitOptions (
  values: Partial<Record<keyof typeof LIMIT_FLAGS, string>>,
  integer: (flag: string, value: string | undefined) => number | undefined
): LimitOptions {
  const read = (flag: keyof typeof LIMIT_FLAGS): number | undefined => integer(flag, values[flag])
  return {
    loginTimeoutMs: read('login-timeout-ms'),
    maxLoginFrameBytes: read('max-login-frame-bytes'),
    maxConnections: read('max-connections'),
    maxConnectionsPerIp: read('max-connections-per-ip'),
    rateLimits: {
      messagesPerSecond: read('messages-per-second'),
      messageBurst: read('message-burst'),
      bytesPerSecond: read('bytes-per-second'),
      byteBurst: read('byte-burst'),
      requestsPerSecond: read('requests-per-second'),
      requestBurst: read('request-burst')
    },
    registrationsPerHour: read('registrations-per-hour')
  }
}
