/**
 * A seeded PRNG (mulberry32): the same seed gives the same sequence, so a
 * test built on random input can be replayed from the seed it reports.
 */
export class SeededRandom {
  private state: number

  constructor (seed: number) {
    this.state = seed >>> 0
  }

  /** A 32-bit unsigned integer. */
  uint32 (): number {
    let t = (this.state = (this.state + 0x6D2B79F5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }

  /** In [0, 1). */
  next (): number {
    return this.uint32() / 4294967296
  }

  /** An integer in [0, below). */
  int (below: number): number {
    return Math.floor(this.next() * below)
  }

  chance (p: number): boolean {
    return this.next() < p
  }

  pick<T> (items: readonly T[]): T {
    return items[this.int(items.length)]
  }

  bytes (length: number): Buffer {
    const bytes = Buffer.alloc(length)
    for (let i = 0; i < length; i++) bytes[i] = this.uint32() & 0xff
    return bytes
  }
}

/** `length` deterministic pseudo-random bytes for `seed`. */
export function garbage (seed: number, length: number): Buffer {
  return new SeededRandom(seed).bytes(length)
}

/**
 * An unsigned LEB128 varint, the protocol's length prefix, for any number: a
 * test writes lengths no encoder would (past the limit, of a frame it never sends).
 */
export function varint (n: number): Uint8Array {
  const bytes: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    bytes.push(byte)
  } while (n > 0)
  return new Uint8Array(bytes)
}
