/**
 * The 64 URL-safe characters in ASCII order, as digits 0-63: numbers written
 * with them at a fixed width sort as strings (and as SQLite's BINARY
 * collation compares them) in the order of their values.
 */
const SORTED_DIGITS = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'
/** Digits of the time (ms since 1970): 64^7 ms reach the year 2109. */
const TIME_DIGITS = 7
/** Random digits of a source's prefix: 48 bits, drawn once per source. */
const PREFIX_DIGITS = 8
/** Digits of the counter within one millisecond: 4,096 keys, then the time moves on by one. */
const COUNTER_DIGITS = 2
const COUNTER_LIMIT = 64 ** COUNTER_DIGITS

/**
 * Idempotency keys as a client should make them (PROTOCOL.md, "Idempotency
 * keys"): unique, and in the order they are made, time first:
 * `<time><prefix><counter>`, 17 characters, each a digit of 64 in ASCII order
 * (`-0-9A-Z_a-z`). The time is the clock's milliseconds (7 digits), the
 * prefix 48 random bits drawn once per source (8 digits, from
 * `crypto.getRandomValues`), the counter the source's own within that
 * millisecond (2 digits). Keys of every client made around the same time
 * sort together, after the keys made before them: a server's index of keys
 * takes them at its end, one place for all its clients, where random keys
 * (UUIDs) take a new place each (on SQLite, a page of the index written per
 * message). Short, because the server stores each one twice (in the message
 * and in its index of keys) and writes it to disk with every commit.
 *
 * Keys are only ever compared within one sender's scope (PROTOCOL.md), so the
 * prefix tells apart that sender's clients making keys in the same
 * millisecond: 48 bits are far more than that needs.
 */
export function idempotencyKeys (): () => string {
  const random = crypto.getRandomValues(new Uint8Array(PREFIX_DIGITS))
  let prefix = ''
  for (const byte of random) prefix += SORTED_DIGITS[byte & 63]
  let lastTime = -1
  let time = ''
  let counter = 0
  return () => {
    // Never back in time: a clock set back leaves this source's keys in order.
    let now = Math.max(Date.now(), lastTime)
    // A millisecond's counter used up: its keys go on in the next one, still in order and of one width.
    if (now === lastTime && counter === COUNTER_LIMIT) now++
    if (now !== lastTime) {
      lastTime = now
      time = digits(now, TIME_DIGITS)
      counter = 0
    }
    return time + prefix + digits(counter++, COUNTER_DIGITS)
  }
}

/** `n` in `width` sorted digits (more if it needs them). */
function digits (n: number, width: number): string {
  let out = ''
  do {
    out = SORTED_DIGITS[n % 64] + out
    n = Math.floor(n / 64)
  } while (n > 0)
  return out.padStart(width, SORTED_DIGITS[0])
}
