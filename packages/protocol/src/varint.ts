/** Bytes of `n` as an unsigned LEB128 varint, the length prefix of a frame (PROTOCOL.md §2). */
export function varintLength (n: number): number {
  let bytes = 1
  while (n >= 0x80) {
    n = Math.floor(n / 0x80)
    bytes++
  }
  return bytes
}

/** Writes `n` (a non-negative safe integer) as an unsigned varint at `at`; returns where it ends. */
export function writeVarint (out: Uint8Array, at: number, n: number): number {
  while (n >= 0x80) {
    out[at++] = (n & 0x7f) | 0x80
    n = Math.floor(n / 0x80)
  }
  out[at] = n
  return at + 1
}
