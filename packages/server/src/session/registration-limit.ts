/**
 * Registrations per address (`registrationsPerHour`): a token bucket per
 * address, holding up to the hourly number and refilled over the hour. A
 * registration takes a token before its password is hashed, and gives it
 * back if no account came of it (a weak password, a name taken).
 */
export class RegistrationLimit {
  private readonly buckets = new Map<string, { tokens: number, at: number }>()

  constructor (private readonly perHour: number) {}

  /** 0 if a registration from `address` may go on (a token is taken), else how long to wait (ms). */
  take (address: string, now = Date.now()): number {
    if (this.perHour === 0) return 0
    const bucket = this.refilled(address, now)
    if (bucket.tokens >= 1) {
      bucket.tokens--
      return 0
    }
    return Math.ceil((1 - bucket.tokens) * 3_600_000 / this.perHour)
  }

  /** A registration that took a token created no account. */
  giveBack (address: string): void {
    const bucket = this.buckets.get(address)
    if (bucket !== undefined) bucket.tokens = Math.min(this.perHour, bucket.tokens + 1)
  }

  private refilled (address: string, now: number): { tokens: number, at: number } {
    let bucket = this.buckets.get(address)
    if (bucket === undefined) {
      if (this.buckets.size > 100_000) this.forgetFull(now)
      bucket = { tokens: this.perHour, at: now }
      this.buckets.set(address, bucket)
    } else if (now > bucket.at) {
      bucket.tokens = Math.min(this.perHour, bucket.tokens + (now - bucket.at) * this.perHour / 3_600_000)
      bucket.at = now
    }
    return bucket
  }

  /** Addresses whose bucket has refilled are as good as new: forgotten. */
  private forgetFull (now: number): void {
    for (const address of [...this.buckets.keys()]) {
      const bucket = this.refilled(address, now)
      if (bucket.tokens >= this.perHour) this.buckets.delete(address)
    }
  }
}
