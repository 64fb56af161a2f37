import fc from 'fast-check'

/** Test helpers for byte streams: building them, and cutting them into arbitrary chunks. */

export function filled (length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (i * 131 + seed) & 0xff
  return out
}

export function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const part of parts) { out.set(part, offset); offset += part.byteLength }
  return out
}

/** Cuts a stream at the given points (taken modulo its length + 1); empty chunks are kept on purpose. */
export function split (stream: Uint8Array, at: number[]): Uint8Array[] {
  const points = [...new Set(at.map(n => n % (stream.byteLength + 1)))].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let start = 0
  for (const point of [...points, stream.byteLength]) {
    chunks.push(stream.subarray(start, point))
    start = point
  }
  return chunks
}

/** Bytes of a frame's varint prefix. */
export function prefixLength (frame: Uint8Array): number {
  let i = 0
  while (frame[i] >= 0x80) i++
  return i + 1
}

/** Positions at which to cut a stream into chunks (see `split`). */
export const cuts = fc.array(fc.nat(), { maxLength: 12 })

/** A frame body: mostly small, sometimes past the 1- and 2-byte varint ranges (filled from a seed, cheap to generate). */
export const frameBody = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 200 }), weight: 6 },
  { arbitrary: fc.record({ length: fc.integer({ min: 127, max: 20000 }), seed: fc.nat(255) }).map(({ length, seed }) => filled(length, seed)), weight: 1 }
)
