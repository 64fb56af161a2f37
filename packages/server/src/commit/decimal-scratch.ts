import { copyAsciiWith, viewOf } from '../copy-ascii.js'

/** Digits of the longest integer written (Number.MAX_SAFE_INTEGER). */
const MAX_DIGITS = 16
const ZERO = 0x30

/**
 * A number in decimal between fixed bytes (`prefix`, digits, `suffix`),
 * kept from one write to the next: a frame's timestamps mostly repeat and
 * its ids count up, so the digits are changed in place (an addition with
 * carries) instead of made again by dividing by ten, and the bytes go into
 * a frame in one copy (`Uint8Array.set`), where writing them one by one
 * cost more than the rest of the frame. Non-negative integers up to
 * Number.MAX_SAFE_INTEGER, as JSON writes them.
 */
export class DecimalScratch {
  private readonly buffer: Uint8Array
  /** Where the digits start. */
  private readonly start: number
  private readonly suffix: Uint8Array
  private value = -1
  /** Digits of `value`. */
  private digits = 0
  /** `buffer[0, end)` for each end, made once. */
  private readonly views: Array<Uint8Array | undefined> = []
  /** prefix, digits and suffix of the last value. */
  bytes: Uint8Array
  /** A DataView over the buffer (`bytes` is its start): for `copyAsciiWith`. */
  readonly view: DataView

  constructor (prefix: Uint8Array, suffix: Uint8Array = new Uint8Array(0)) {
    this.start = prefix.length
    this.suffix = suffix
    this.buffer = new Uint8Array(prefix.length + MAX_DIGITS + suffix.length)
    this.buffer.set(prefix)
    this.bytes = this.buffer.subarray(0, 0)
    this.view = viewOf(this.buffer)
    this.set(0)
  }

  /** Copies the bytes of `n` (prefix, digits, suffix) into `target` at `at` (`to` a DataView over it); returns where they end. */
  copyTo (n: number, target: Uint8Array, to: DataView, at: number): number {
    const bytes = this.set(n)
    return copyAsciiWith(this.buffer, this.view, 0, bytes.length, target, to, at)
  }

  /** The bytes of `n` (valid until the next call). */
  set (n: number): Uint8Array {
    if (n === this.value) return this.bytes
    const delta = n - this.value
    if (delta > 0 && delta < 0x40000000 && this.add(delta)) {
      this.value = n
      return this.bytes
    }
    this.write(n)
    return this.bytes
  }

  /** Adds a small delta to the digits in place; false if it needs one more digit (then nothing changed that matters: `write` follows). */
  private add (delta: number): boolean {
    const buffer = this.buffer
    let carry = delta
    for (let i = this.start + this.digits - 1; i >= this.start; i--) {
      const sum = buffer[i] - ZERO + carry
      carry = (sum / 10) | 0
      buffer[i] = ZERO + sum - carry * 10
      if (carry === 0) return true
    }
    return false
  }

  private write (n: number): void {
    const buffer = this.buffer
    // Two halves of eight digits at most, each an int32: no division of a double per digit.
    let high = Math.floor(n / 1e8)
    let low = n - high * 1e8
    // n / 1e8 may round up to the next integer near 2^53.
    if (low < 0) {
      high--
      low += 1e8
    }
    let digits = 1
    if (high > 0) {
      digits = 8
      for (let h = high; h > 0; h = (h / 10) | 0) digits++
    } else {
      for (let l = low; l >= 10; l = (l / 10) | 0) digits++
    }
    const end = this.start + digits
    let i = end - 1
    for (let k = 0; k < 8 && i >= this.start; k++, i--) {
      const q = (low / 10) | 0
      buffer[i] = ZERO + low - q * 10
      low = q
    }
    for (let h = high; i >= this.start; i--) {
      const q = (h / 10) | 0
      buffer[i] = ZERO + h - q * 10
      h = q
    }
    buffer.set(this.suffix, end)
    this.value = n
    this.digits = digits
    const length = end + this.suffix.length
    this.bytes = this.views[length] ??= buffer.subarray(0, length)
  }
}

/** A string of one-byte characters as bytes. */
export function latin1Bytes (s: string): Uint8Array {
  return Uint8Array.from(s, c => c.charCodeAt(0))
}
