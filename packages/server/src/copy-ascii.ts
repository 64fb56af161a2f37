/** Below this many bytes, eight at a time through DataViews; above, one native copy. */
const NATIVE_FROM = 256
const nativeCopy = Buffer.prototype.copy

let lastSource: Uint8Array | undefined
let lastSourceView: DataView | undefined
let lastTarget: Uint8Array | undefined
let lastTargetView: DataView | undefined

/** A DataView over exactly these bytes. */
export function viewOf (bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

/**
 * Copies `source[start, end)` to `target` at `at`, given DataViews over
 * both; returns where it ended. For ASCII bytes only (every byte below
 * 0x80): runs go eight bytes at a time as float64s, which is exact for them
 * (a NaN needs an exponent of all ones, so a byte of 0xf0 or more, and no
 * ASCII byte is one), where a native copy (`Uint8Array.set`, `Buffer.copy`)
 * costs a call into C++ (and `Buffer.copy` a view) each time: about three
 * times as much for the 20 to 70 bytes of a frame's pieces.
 */
export function copyAsciiWith (source: Uint8Array, from: DataView, start: number, end: number, target: Uint8Array, to: DataView, at: number): number {
  if (end - start >= NATIVE_FROM) return at + nativeCopy.call(source, target, at, start, end)
  let i = start
  for (; i + 8 <= end; i += 8, at += 8) to.setFloat64(at, from.getFloat64(i, true), true)
  for (; i < end; i++) target[at++] = source[i]
  return at
}

/**
 * `copyAsciiWith`, the DataViews made here: those of the last source and
 * target are kept (a commit's texts mostly come from the same few chunks and
 * go into one buffer) until `releaseCopyViews`.
 */
export function copyAscii (source: Uint8Array, start: number, end: number, target: Uint8Array, at: number): number {
  if (source !== lastSource) {
    lastSource = source
    lastSourceView = viewOf(source)
  }
  if (target !== lastTarget) {
    lastTarget = target
    lastTargetView = viewOf(target)
  }
  return copyAsciiWith(source, lastSourceView!, start, end, target, lastTargetView!, at)
}

/** Forgets the buffers kept (their views hold them). */
export function releaseCopyViews (): void {
  lastSource = lastTarget = undefined
  lastSourceView = lastTargetView = undefined
}
