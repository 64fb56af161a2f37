interface Failures {
  count: number
  last: number
}

/** Failures are forgotten after this long without a new one. */
const FORGET_AFTER_MS = 15 * 60_000
/** Attempts that fail free before the delay starts. */
const FREE_FAILURES = 3

/**
 * Slows down password guessing: after a few failed logins for a name, or
 * from an address, each further attempt for it waits longer (doubling from
 * `baseDelayMs` up to `maxDelayMs`) before its password is checked.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, Failures>()

  constructor (
    private readonly baseDelayMs = 250,
    private readonly maxDelayMs = 8_000
  ) {}

  /** How long an attempt for this name from this address must wait (ms). */
  delayFor (userKey: string, address: string, now = Date.now()): number {
    const count = Math.max(this.count(`u:${userKey}`, now), this.count(`a:${address}`, now))
    if (count < FREE_FAILURES) return 0
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (count - FREE_FAILURES))
  }

  recordFailure (userKey: string, address: string, now = Date.now()): void {
    for (const key of [`u:${userKey}`, `a:${address}`]) {
      const entry = this.failures.get(key)
      this.failures.set(key, { count: this.count(key, now) + 1, last: now })
      if (entry === undefined && this.failures.size > 100_000) this.forgetOld(now)
    }
  }

  recordSuccess (userKey: string): void {
    this.failures.delete(`u:${userKey}`)
  }

  private count (key: string, now: number): number {
    const entry = this.failures.get(key)
    if (entry === undefined) return 0
    if (now - entry.last > FORGET_AFTER_MS) {
      this.failures.delete(key)
      return 0
    }
    return entry.count
  }

  private forgetOld (now: number): void {
    for (const [key, entry] of this.failures) if (now - entry.last > FORGET_AFTER_MS) this.failures.delete(key)
  }
}
