export interface ReconnectOptions {
  /** Reconnect after an unexpected disconnect. Default true. */
  reconnect?: boolean
  /** Attempts at each address before giving up (`closed` then settles with `reconnect_failed`); -1 for no limit. Default 10. */
  maxReconnectAttempts?: number
  /**
   * Wait before trying the lost address again (ms): with one address, before the first attempt; with
   * several, once every other address failed too. It doubles with each round that fails. Default 250.
   */
  reconnectTimeWait?: number
  /** Longest wait between attempts (ms). Default 10 000. */
  maxReconnectTimeWait?: number
  /** Up to this much random time (ms) is added to each wait, so clients don't return in lockstep. Default 250. */
  reconnectJitter?: number
}

export type ResolvedReconnectOptions = Required<ReconnectOptions>

export function resolveReconnectOptions (options: ReconnectOptions): ResolvedReconnectOptions {
  return {
    reconnect: options.reconnect ?? true,
    maxReconnectAttempts: options.maxReconnectAttempts ?? 10,
    reconnectTimeWait: options.reconnectTimeWait ?? 250,
    maxReconnectTimeWait: options.maxReconnectTimeWait ?? 10_000,
    reconnectJitter: options.reconnectJitter ?? 250
  }
}

/*
 * Several addresses are tried round robin, starting after the one whose
 * connection was lost: attempt `a` goes to address (lost + a) mod n, so each
 * round of n attempts ends with the lost address. A dead server is left at once
 * for the next address (the jitter alone spreads its clients over time); the
 * backoff is for a whole round failed (the loss counts as the lost address's
 * failure). With one address every attempt ends a round: backoff each time.
 */

/** Which address attempt `attempt` (1-based) goes to, after the connection to address `lost` of `addresses` was lost. */
export function reconnectAddress (lost: number, attempt: number, addresses: number): number {
  return (lost + attempt) % addresses
}

/** The wait before attempt `attempt` (1-based): the jitter for the next address, exponential backoff by rounds plus jitter before a new round. */
export function reconnectDelay (options: ResolvedReconnectOptions, attempt: number, addresses = 1, random = Math.random): number {
  const jitter = random() * options.reconnectJitter
  if (attempt % addresses !== 0) return Math.round(jitter)
  const round = attempt / addresses
  const base = Math.min(options.maxReconnectTimeWait, options.reconnectTimeWait * 2 ** (round - 1))
  return Math.round(base + jitter)
}

/** Whether attempt `attempt` may be made: `maxReconnectAttempts` counts the attempts at each address (rounds). */
export function mayRetry (options: ResolvedReconnectOptions, attempt: number, addresses = 1): boolean {
  return options.maxReconnectAttempts < 0 || attempt <= options.maxReconnectAttempts * addresses
}
