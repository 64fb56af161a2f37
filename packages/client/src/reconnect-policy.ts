export interface ReconnectOptions {
  /** Reconnect after an unexpected disconnect. Default true. */
  reconnect?: boolean
  /** Attempts before giving up (`closed` then settles with `reconnect_failed`); -1 for no limit. Default 10. */
  maxReconnectAttempts?: number
  /** Wait before the first attempt (ms); it doubles with each failed attempt. Default 250. */
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

/** Exponential backoff with jitter: the wait before attempt `attempt` (1-based). */
export function reconnectDelay (options: ResolvedReconnectOptions, attempt: number, random = Math.random): number {
  const base = Math.min(options.maxReconnectTimeWait, options.reconnectTimeWait * 2 ** (attempt - 1))
  return Math.round(base + random() * options.reconnectJitter)
}

export function mayRetry (options: ResolvedReconnectOptions, attempt: number): boolean {
  return options.maxReconnectAttempts < 0 || attempt <= options.maxReconnectAttempts
}
