/**
 * The limits that keep one client (or one address) from taking more than
 * its share: before login, connections, rates. Every one is on by default,
 * at levels no honest client meets; "Running it in public" in the server's
 * README lists them.
 */
export interface LimitOptions {
  /** A connection that has not logged in this long after it opened is closed with `login_timeout` (ms). Default 10 000. */
  loginTimeoutMs?: number
  /**
   * Largest frame accepted before login, in bytes (a `hello` with the longest
   * password fits); larger ones close the connection with `frame_too_large`.
   * Default 8 192.
   */
  maxLoginFrameBytes?: number
  /** Open connections in all; more are refused with `too_many_connections`. Default 10 000. */
  maxConnections?: number
  /** Open connections from one IPv4 address or IPv6 /64; more are refused with `too_many_connections`. Default 100. */
  maxConnectionsPerIp?: number
  /** Per-connection rates; a request over one is refused with `rate_limited` and `retryAfterMs`. */
  rateLimits?: RateLimitOptions
  /** Accounts registered from one IPv4 address or IPv6 /64 per hour (0: no limit). Default 5. */
  registrationsPerHour?: number
}

/**
 * Token buckets, one of each per connection: a rate, and the burst it may
 * reach after being quiet. A rate of 0 turns that limit off.
 */
export interface RateLimitOptions {
  /** `send` and `dm` requests per second. Default 200 (burst 400). */
  messagesPerSecond?: number
  messageBurst?: number
  /** Bytes a client sends per second, all frames counted; checked at each `send` and `dm`. Default 1 MiB (burst 2 MiB). */
  bytesPerSecond?: number
  byteBurst?: number
  /** `history`, `replay`, `rooms`, `members`, `read` and `unread` requests per second. Default 20 (burst 100). */
  requestsPerSecond?: number
  requestBurst?: number
}

export type ResolvedRateLimits = Required<RateLimitOptions>

/** `rateLimits` with every rate off: for a server whose clients are all trusted (a benchmark, a test of throughput). */
export const NO_RATE_LIMITS: Readonly<RateLimitOptions> = Object.freeze({ messagesPerSecond: 0, bytesPerSecond: 0, requestsPerSecond: 0 })

export interface ResolvedLimitOptions {
  loginTimeoutMs: number
  maxLoginFrameBytes: number
  maxConnections: number
  maxConnectionsPerIp: number
  rateLimits: ResolvedRateLimits
  registrationsPerHour: number
}

export const DEFAULT_LIMITS: Readonly<ResolvedLimitOptions> = Object.freeze({
  loginTimeoutMs: 10_000,
  maxLoginFrameBytes: 8 * 1024,
  maxConnections: 10_000,
  maxConnectionsPerIp: 100,
  rateLimits: Object.freeze({
    messagesPerSecond: 200,
    messageBurst: 400,
    bytesPerSecond: 1024 * 1024,
    byteBurst: 2 * 1024 * 1024,
    requestsPerSecond: 20,
    requestBurst: 100
  }),
  registrationsPerHour: 5
})

/** The rates a `welcome` announces: those that are on, so a client can pace itself. */
export function announcedRates (r: ResolvedRateLimits): Partial<ResolvedRateLimits> {
  const announced: Partial<ResolvedRateLimits> = {}
  if (r.messagesPerSecond > 0) Object.assign(announced, { messagesPerSecond: r.messagesPerSecond, messageBurst: r.messageBurst })
  if (r.bytesPerSecond > 0) Object.assign(announced, { bytesPerSecond: r.bytesPerSecond, byteBurst: r.byteBurst })
  if (r.requestsPerSecond > 0) Object.assign(announced, { requestsPerSecond: r.requestsPerSecond, requestBurst: r.requestBurst })
  return announced
}

/**
 * Each limit given or its default; a burst not given is twice its rate.
 * Throws a RangeError for a value out of range, or a byte burst a frame of
 * `maxFrameBytes` could never pass.
 */
export function resolveLimits (options: LimitOptions, maxFrameBytes: number): ResolvedLimitOptions {
  const d = DEFAULT_LIMITS
  const r = options.rateLimits ?? {}
  const rate = (name: keyof RateLimitOptions, burst: keyof RateLimitOptions): [number, number] => {
    const perSecond = r[name] ?? d.rateLimits[name]
    return [perSecond, r[burst] ?? (r[name] === undefined ? d.rateLimits[burst] : 2 * perSecond)]
  }
  const [messagesPerSecond, messageBurst] = rate('messagesPerSecond', 'messageBurst')
  const [bytesPerSecond, byteBurst] = rate('bytesPerSecond', 'byteBurst')
  const [requestsPerSecond, requestBurst] = rate('requestsPerSecond', 'requestBurst')
  const resolved: ResolvedLimitOptions = {
    loginTimeoutMs: options.loginTimeoutMs ?? d.loginTimeoutMs,
    maxLoginFrameBytes: options.maxLoginFrameBytes ?? d.maxLoginFrameBytes,
    maxConnections: options.maxConnections ?? d.maxConnections,
    maxConnectionsPerIp: options.maxConnectionsPerIp ?? d.maxConnectionsPerIp,
    rateLimits: { messagesPerSecond, messageBurst, bytesPerSecond, byteBurst, requestsPerSecond, requestBurst },
    registrationsPerHour: options.registrationsPerHour ?? d.registrationsPerHour
  }
  for (const name of ['loginTimeoutMs', 'maxLoginFrameBytes', 'maxConnections', 'maxConnectionsPerIp'] as const) {
    check(name, resolved[name], 1)
  }
  check('registrationsPerHour', resolved.registrationsPerHour, 0)
  for (const [name, value] of Object.entries(resolved.rateLimits)) check(`rateLimits.${name}`, value, 0)
  for (const [perSecond, burst] of [['messagesPerSecond', 'messageBurst'], ['bytesPerSecond', 'byteBurst'], ['requestsPerSecond', 'requestBurst']] as const) {
    if (resolved.rateLimits[perSecond] > 0 && resolved.rateLimits[burst] < 1) {
      throw new RangeError(`rateLimits.${burst} must be at least 1 while ${perSecond} is on`)
    }
  }
  if (resolved.rateLimits.bytesPerSecond > 0 && resolved.rateLimits.byteBurst < maxFrameBytes) {
    throw new RangeError(`rateLimits.byteBurst (${resolved.rateLimits.byteBurst}) must be at least maxFrameBytes (${maxFrameBytes})`)
  }
  return resolved
}

function check (name: string, value: unknown, least: number): void {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= least)) {
    throw new RangeError(`server option ${name} must be ${least === 0 ? 'a whole number (0: no limit)' : 'a positive integer'}, got ${String(value)}`)
  }
}
