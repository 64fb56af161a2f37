const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** Random bytes of a source's prefix: 96 bits, 16 base64url characters. */
const PREFIX_BYTES = 12
/** Base-36 digits of the time (ms since 1970): enough until the year 5138. */
const TIME_DIGITS = 9
/** Base-36 digits of the counter: 2.2 × 10^9 keys before a key grows by a character. */
const COUNTER_DIGITS = 6

/**
 * Idempotency keys as a client should make them (PROTOCOL.md, "Idempotency
 * keys"): unique, and in the order they are made, time first:
 * `<time><prefix><counter>`, 31 characters. The time is the clock's
 * milliseconds (9 base-36 digits), the prefix 96 random bits drawn once per
 * source (16 base64url characters, from `crypto.getRandomValues`), the
 * counter the source's own (6 base-36 digits). Keys of every client made
 * around the same time sort together, after the keys made before them: a
 * server's index of keys takes them at its end, one place for all its
 * clients, where random keys (UUIDs) take a new place each (on SQLite, a
 * page of the index written per message).
 */
export function idempotencyKeys (): () => string {
  const bytes = crypto.getRandomValues(new Uint8Array(PREFIX_BYTES))
  let prefix = ''
  for (let i = 0; i < PREFIX_BYTES; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]
    prefix += BASE64URL[n >> 18] + BASE64URL[(n >> 12) & 63] + BASE64URL[(n >> 6) & 63] + BASE64URL[n & 63]
  }
  let counter = 0
  let lastTime = -1
  let time = ''
  return () => {
    // Never back in time: a clock set back leaves this source's keys in order.
    const now = Math.max(Date.now(), lastTime)
    if (now !== lastTime) {
      lastTime = now
      time = now.toString(36).padStart(TIME_DIGITS, '0')
    }
    return time + prefix + (counter++).toString(36).padStart(COUNTER_DIGITS, '0')
  }
}
