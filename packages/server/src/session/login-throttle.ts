interface Attempts {
  /** Failed attempts not yet forgotten. */
  failures: number
  /** Attempts being checked right now: they count like failures, so parallel guesses are slowed too. */
  inFlight: number
  last: number
}

/** Failures are forgotten after this long without a new one. */
const FORGET_AFTER_MS = 15 * 60_000
/** Attempts that fail free before the delay starts. */
const FREE_FAILURES = 3

/** One login attempt: how long it must wait before its password is checked, and how to report its outcome. */
export interface ThrottledAttempt {
  delayMs: number
  finish: (failed: boolean) => void
}

/**
 * Slows down password guessing: after a few failed logins for a name, or
 * from an address, each further attempt for it waits longer (doubling from
 * `baseDelayMs` up to `maxDelayMs`) before its password is checked.
 */
export class LoginThrottle {
  private readonly attempts = new Map<string, Attempts>()

  constructor (
    private readonly baseDelayMs = 250,
    private readonly maxDelayMs = 8_000
  ) {}

  /** Starts an attempt for this name from this address. Call `finish` exactly once. */
  begin (userKey: string, address: string, now = Date.now()): ThrottledAttempt {
    const keys = [`u:${userKey}`, `a:${address}`]
    const entries = keys.map(key => this.entry(key, now))
    const count = Math.max(...entries.map(e => e.failures + e.inFlight))
    for (const entry of entries) entry.inFlight++
    let finished = false
    return {
      delayMs: count < FREE_FAILURES ? 0 : Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (count - FREE_FAILURES)),
      finish: failed => {
        if (finished) return
        finished = true
        const at = Date.now()
        for (const entry of entries) {
          entry.inFlight--
          if (failed) {
            entry.failures++
            entry.last = at
          }
        }
        if (!failed) entries[0].failures = 0 // the name's owner got in; the address keeps its record
        for (const key of keys) this.forgetIfIdle(key, at)
      }
    }
  }

  private entry (key: string, now: number): Attempts {
    let entry = this.attempts.get(key)
    if (entry !== undefined && entry.inFlight === 0 && now - entry.last > FORGET_AFTER_MS) entry.failures = 0
    if (entry === undefined) {
      if (this.attempts.size > 100_000) this.forgetOld(now)
      entry = { failures: 0, inFlight: 0, last: now }
      this.attempts.set(key, entry)
    }
    return entry
  }

  private forgetIfIdle (key: string, now: number): void {
    const entry = this.attempts.get(key)
    if (entry !== undefined && entry.inFlight === 0 && (entry.failures === 0 || now - entry.last > FORGET_AFTER_MS)) {
      this.attempts.delete(key)
    }
  }

  private forgetOld (now: number): void {
    for (const key of this.attempts.keys()) this.forgetIfIdle(key, now)
  }
}
