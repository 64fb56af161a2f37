/** Values below this are counted exactly (µs); above, with 1,024 buckets per power of two (< 0.1 % error). */
const EXACT = 2048
const SUB_BUCKETS = 1024
const SUB_BITS = 10

/** A fixed-size log-linear histogram of microsecond values: constant time per sample, no allocation. */
export class LatencyHistogram {
  private readonly counts = new Float64Array(EXACT + 22 * SUB_BUCKETS)
  count = 0
  max = 0

  record (micros: number): void {
    const v = micros < 0 ? 0 : Math.floor(micros)
    this.count++
    if (v > this.max) this.max = v
    this.counts[bucketOf(v)]++
  }

  /** The value at quantile q (0..1), in microseconds (the bucket's lower bound). */
  quantile (q: number): number {
    if (this.count === 0) return NaN
    const rank = Math.max(1, Math.ceil(q * this.count))
    let seen = 0
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]
      if (seen >= rank) return Math.min(valueOf(i), this.max)
    }
    return this.max
  }
}

function bucketOf (v: number): number {
  if (v < EXACT) return v
  const k = Math.min(31 - Math.clz32(Math.min(v, 2 ** 31 - 1)), 31)
  const shift = k - SUB_BITS
  return EXACT + (k - 11) * SUB_BUCKETS + ((Math.min(v, 2 ** 31 - 1) >>> shift) - SUB_BUCKETS)
}

function valueOf (bucket: number): number {
  if (bucket < EXACT) return bucket
  const k = Math.floor((bucket - EXACT) / SUB_BUCKETS) + 11
  const sub = (bucket - EXACT) % SUB_BUCKETS
  return (sub + SUB_BUCKETS) * 2 ** (k - SUB_BITS)
}
