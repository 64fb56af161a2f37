interface Attempts {
  /** Failed attempts not yet forgotten. */
  failures: number
  /** Attempts being checked right now: they count like failures, so parallel guesses are slowed too. */
  inFlight: number
  /** The last failure (ms since epoch). */
  last: number
  /** When the last attempt counted here was let start (ms since epoch): the next waits its turn after it. */
  lastStart: number
}

/** Failures are forgotten after this long without a new one. */
const FORGET_AFTER_MS = 15 * 60_000
/** Attempts that fail free before the delay starts. */
const FREE_FAILURES = 3
/** An account's successful logins from an address are remembered this long (in memory). */
const TRUST_FOR_MS = 30 * 24 * 3_600_000
/** Entries kept before the oldest are forgotten (failures, and trusted pairs). */
const MAX_ENTRIES = 100_000

/**
 * One login attempt: how long it must wait before its password is checked
 * (or, when more attempts are waiting than fit within the longest delay, how
 * long to wait before trying again), and how to report its outcome.
 */
export interface ThrottledAttempt {
  delayMs: number
  /** Set when the attempt is refused (`rate_limited`): try again after this long (ms). */
  retryAfterMs?: number
  /** Call exactly once, after the check (not for a refused attempt). */
  finish: (failed: boolean) => void
}

/**
 * Slows down password guessing, per attacker rather than per attempt.
 *
 * Failures are counted per account (from any address) and per address (for
 * any account). Once either has 3, each further password check for that
 * account or from that address waits its turn: its start comes after the
 * start of the one before it (even one still being checked) by 250 ms,
 * doubling with each further failure up to 8 s. Guesses made in parallel are
 * spaced like guesses made one after another, from one address or from a
 * hundred: at most one check per 8 s per account, and per address. An
 * attempt whose turn is more than 8 s away is refused at once
 * (`retryAfterMs`), so a queue of guesses never builds up.
 *
 * A check is never delayed for an account and an address that logged in
 * together before (remembered 30 days, in memory) and have had no failure
 * together since: an attack on an account does not keep its owner out, nor
 * does one from an address keep out the other users behind it. A failure
 * from that address for that account ends it.
 */
export class LoginThrottle {
  private readonly attempts = new Map<string, Attempts>()
  /** `account\naddress` → when it last logged in, for the pairs with no failure since. */
  private readonly trusted = new Map<string, number>()

  constructor (
    private readonly baseDelayMs = 250,
    private readonly maxDelayMs = 8_000
  ) {}

  /** Starts an attempt for this account from this address. */
  begin (userKey: string, address: string, now = Date.now()): ThrottledAttempt {
    const pair = `${userKey}\n${address}`
    const trustedAt = this.trusted.get(pair)
    const trusted = trustedAt !== undefined && now - trustedAt < TRUST_FOR_MS
    const keys = [`u:${userKey}`, `a:${address}`]
    const entries = keys.map(key => this.entry(key, now))
    let start = now
    if (!trusted) {
      for (const entry of entries) {
        const count = entry.failures + entry.inFlight
        if (count >= FREE_FAILURES) start = Math.max(start, Math.max(now, entry.lastStart) + this.spacing(count))
      }
      if (start - now > this.maxDelayMs) {
        for (const key of keys) this.forgetIfIdle(key, now)
        return { delayMs: 0, retryAfterMs: Math.ceil(start - now - this.maxDelayMs), finish: () => {} }
      }
      for (const entry of entries) entry.lastStart = Math.max(entry.lastStart, start)
    }
    for (const entry of entries) entry.inFlight++
    let finished = false
    return {
      delayMs: start - now,
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
        if (failed) {
          this.trusted.delete(pair)
        } else {
          entries[0].failures = 0 // the account's owner got in; the address keeps its record
          this.trust(pair, at)
        }
        for (const key of keys) this.forgetIfIdle(key, at)
      }
    }
  }

  /** The wait between attempts once `count` have failed (or are being checked). */
  private spacing (count: number): number {
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (count - FREE_FAILURES))
  }

  private trust (pair: string, now: number): void {
    // Re-inserted, so the oldest entries come first when some must go.
    this.trusted.delete(pair)
    this.trusted.set(pair, now)
    if (this.trusted.size > MAX_ENTRIES) {
      for (const oldest of this.trusted.keys()) {
        this.trusted.delete(oldest)
        if (this.trusted.size <= MAX_ENTRIES * 0.9) break
      }
    }
  }

  private entry (key: string, now: number): Attempts {
    let entry = this.attempts.get(key)
    if (entry !== undefined && entry.inFlight === 0 && now - entry.last > FORGET_AFTER_MS) entry.failures = 0
    if (entry === undefined) {
      if (this.attempts.size > MAX_ENTRIES) this.forgetOld(now)
      entry = { failures: 0, inFlight: 0, last: now, lastStart: 0 }
      this.attempts.set(key, entry)
    }
    return entry
  }

  private forgetIfIdle (key: string, now: number): void {
    const entry = this.attempts.get(key)
    if (entry !== undefined && entry.inFlight === 0 && entry.lastStart <= now &&
      (entry.failures === 0 || now - entry.last > FORGET_AFTER_MS)) {
      this.attempts.delete(key)
    }
  }

  private forgetOld (now: number): void {
    for (const key of this.attempts.keys()) this.forgetIfIdle(key, now)
  }
}
