/** What the limits refused so far (`ChatServer.stats().refused`). */
export interface LimitCounters {
  /** Connections refused with `too_many_connections`. */
  connections: number
  /** Requests refused with `rate_limited` (logins and registrations included). */
  rateLimited: number
  /** Connections closed with `login_timeout`. */
  loginTimeouts: number
}

export function limitCounters (): LimitCounters {
  return { connections: 0, rateLimited: 0, loginTimeouts: 0 }
}
