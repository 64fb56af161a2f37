import { SeededRandom, varint } from '@chat/testing'
import { CLIENT_FIELDS } from '@chat/protocol'
import type { FieldSpec } from '@chat/protocol'

const TYPES = Object.keys(CLIENT_FIELDS) as Array<keyof typeof CLIENT_FIELDS>
const NAMES = ['alice', 'bob', 'general', 'dev', 'a', 'x'.repeat(32), 'x'.repeat(33), '', ' ', 'a b', 'é', '#room', '..', 'ALICE', '\u0000']
const TEXTS = ['hi', '', 'x'.repeat(2000), '<img src=x onerror=alert(1)>', 'ünïcødé 中文 🎉', '\ud800', 'lone\udc00x', '\u0000\u001f', '"quoted"', '\\']

function uint (rng: SeededRandom): unknown {
  return rng.pick<unknown>([0, 1, 2, rng.int(1000), 2 ** 31, 2 ** 53 - 1, 2 ** 53, -1, 1.5, '1', null, true, [], {}])
}

function string (rng: SeededRandom): unknown {
  if (rng.chance(0.9)) return rng.pick(rng.chance(0.5) ? NAMES : TEXTS)
  return rng.pick<unknown>([1, null, true, [], {}, 'x'.repeat(70_000)])
}

function valueOf (rng: SeededRandom, spec: FieldSpec): unknown {
  switch (spec.replace('?', '')) {
    case 'uint': return uint(rng)
    case 'string': return string(rng)
    case 'bool': return rng.pick<unknown>([true, false, 'true', 0, null])
    default: return rng.pick<unknown>([[], ['a'], [{ room: 'a', members: 1 }], 'x', 3])
  }
}

/** A client message, well formed or nearly: real types and fields with values from the edges, sometimes a field missing, extra or unknown. */
export function messageBody (rng: SeededRandom): string {
  const type = rng.chance(0.97) ? rng.pick(TYPES) : rng.pick(['nope', '', 'HELLO', 'msg', 'welcome'])
  const fields: Record<string, FieldSpec> = (CLIENT_FIELDS as Record<string, Record<string, FieldSpec>>)[type] ?? {}
  const message: Record<string, unknown> = { type }
  for (const [name, spec] of Object.entries(fields)) {
    const optional = spec.endsWith('?')
    if (!(optional ? rng.chance(0.5) : rng.chance(0.97))) continue
    // Mostly plausible values where they decide whether a request gets through: request ids, the room the fuzzer joins.
    if (name === 'req' && rng.chance(0.8)) message[name] = rng.int(1000)
    else if ((name === 'room' || name === 'to') && rng.chance(0.6)) message[name] = name === 'room' ? 'general' : 'bystander'
    else message[name] = valueOf(rng, spec)
  }
  if (rng.chance(0.05)) message[rng.pick(['extra', '__proto__', 'constructor', 'type'])] = rng.pick<unknown>([1, 'x', null, {}])
  const json = JSON.stringify(message)
  return rng.chance(0.05) ? rng.pick([json.slice(0, rng.int(json.length)), '[1,2]', '"text"', 'null', '{"type":', json + json]) : json
}

const encoder = new TextEncoder()


function concat (...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let at = 0
  for (const part of parts) { out.set(part, at); at += part.byteLength }
  return out
}

/** What kind of damage a frame got; the report counts them. */
export type FrameKind = 'valid' | 'flipped' | 'truncated' | 'garbage' | 'huge-length' | 'overlong-varint' | 'invalid-utf8' | 'empty'

/**
 * One frame's bytes as a fuzzing client sends it: mostly a message frame
 * (valid or nearly), otherwise damaged in one of the ways that matter to a
 * length-prefixed JSON codec.
 */
export function fuzzFrame (rng: SeededRandom): { kind: FrameKind, bytes: Uint8Array } {
  const body = encoder.encode(messageBody(rng))
  const roll = rng.next()
  if (roll < 0.6) return { kind: 'valid', bytes: concat(varint(body.byteLength), body) }
  if (roll < 0.72) {
    const flipped = body.slice()
    for (let i = 0, n = 1 + rng.int(3); i < n && flipped.byteLength > 0; i++) flipped[rng.int(flipped.byteLength)] ^= 1 << rng.int(8)
    return { kind: 'flipped', bytes: concat(varint(flipped.byteLength), flipped) }
  }
  if (roll < 0.8) return { kind: 'truncated', bytes: concat(varint(body.byteLength), body.subarray(0, rng.int(body.byteLength))) }
  if (roll < 0.87) {
    const garbage = new Uint8Array(1 + rng.int(64))
    for (let i = 0; i < garbage.byteLength; i++) garbage[i] = rng.int(256)
    return { kind: 'garbage', bytes: garbage }
  }
  if (roll < 0.9) return { kind: 'huge-length', bytes: concat(varint(65_537 + rng.int(2 ** 30)), body) }
  if (roll < 0.92) return { kind: 'overlong-varint', bytes: new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]) }
  if (roll < 0.97) {
    const bad = concat(body.subarray(0, rng.int(body.byteLength)), rng.pick([new Uint8Array([0xff]), new Uint8Array([0xc3]), new Uint8Array([0xed, 0xa0, 0x80]), new Uint8Array([0xc0, 0xaf])]))
    return { kind: 'invalid-utf8', bytes: concat(varint(bad.byteLength), bad) }
  }
  return { kind: 'empty', bytes: new Uint8Array([0]) }
}
