/**
 * Microseconds on the monotonic clock. The load generator stamps texts with it
 * and reads it when they arrive, in the same process.
 */
export function nowMicros (): number {
  return Number(process.hrtime.bigint() / 1000n)
}
