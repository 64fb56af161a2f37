const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
/** Random bytes of a source's prefix: 96 bits, 16 base64url characters. */
const PREFIX_BYTES = 12
/** Digits of the counter (base 36): 2.8 × 10^12 keys before a key grows by a character. */
const COUNTER_DIGITS = 8

/**
 * Idempotency keys as a client should make them (PROTOCOL.md, "Idempotency
 * keys"): unique, and in order. Each source draws a random prefix once (96
 * bits, from `crypto.getRandomValues`), then counts: `<prefix><counter>`,
 * the counter in base 36 of fixed width, so one source's keys sort in the
 * order they are made. A server indexes keys: keys in order touch one place
 * of its index per client, random ones (UUIDs) a new place each, which on
 * SQLite cost a page written per message. 24 characters.
 */
export function idempotencyKeys (): () => string {
  const bytes = crypto.getRandomValues(new Uint8Array(PREFIX_BYTES))
  let prefix = ''
  for (let i = 0; i < PREFIX_BYTES; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2]
    prefix += BASE64URL[n >> 18] + BASE64URL[(n >> 12) & 63] + BASE64URL[(n >> 6) & 63] + BASE64URL[n & 63]
  }
  let counter = 0
  return () => prefix + (counter++).toString(36).padStart(COUNTER_DIGITS, '0')
}
