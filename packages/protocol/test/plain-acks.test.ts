import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeServerMessage, validateServerMessage } from '../src/index.js'
import { readAckBytes } from '../src/fast.js'

const bytes = (json: string): Uint8Array => new TextEncoder().encode(json)

/** What the general path makes of a body (JSON.parse + validation), or undefined if it refuses it. */
function general (json: string): unknown {
  try {
    return validateServerMessage(JSON.parse(json))
  } catch {
    return undefined
  }
}

describe('readAckBytes', () => {
  it('reads acks as the server writes them, with or without stored, within a larger buffer', () => {
    const json = '{"type":"ack","re":12,"id":345,"ts":1796181268523}'
    assert.deepEqual(readAckBytes(bytes(json), 0, json.length), { type: 'ack', re: 12, id: 345, ts: 1796181268523 })
    const stored = '{"type":"ack","re":0,"id":1,"ts":0,"stored":true}'
    assert.deepEqual(readAckBytes(bytes(stored), 0, stored.length), { type: 'ack', re: 0, id: 1, ts: 0, stored: true })
    const framed = bytes(`xx${json}yy`)
    assert.deepEqual(readAckBytes(framed, 2, 2 + json.length), { type: 'ack', re: 12, id: 345, ts: 1796181268523 })
    assert.deepEqual(decodeServerMessage(bytes(stored)), { type: 'ack', re: 0, id: 1, ts: 0, stored: true })
  })

  it('leaves everything else to the general path', () => {
    const cases = [
      '{"type":"ack","re":1,"id":2,"ts":3,"stored":false}',
      '{"type":"ack","re":1,"id":2,"ts":3,"stored":true,"x":1}',
      '{"type":"ack", "re":1,"id":2,"ts":3}',
      '{"type":"ack","id":2,"re":1,"ts":3}',
      '{"type":"ack","re":01,"id":2,"ts":3}',
      '{"type":"ack","re":-1,"id":2,"ts":3}',
      '{"type":"ack","re":1.5,"id":2,"ts":3}',
      '{"type":"ack","re":1e3,"id":2,"ts":3}',
      '{"type":"ack","re":1234567890123456,"id":2,"ts":3}',
      '{"type":"ack","re":1,"id":2,"ts":3} ',
      '{"type":"acks","re":1,"id":2,"ts":3}'
    ]
    for (const json of cases) assert.equal(readAckBytes(bytes(json), 0, json.length), undefined, json)
    const valid = '{"type":"ack","re":1,"id":2,"ts":3,"stored":true}'
    for (let cut = 0; cut < valid.length; cut++) {
      if (cut === valid.length - ',"stored":true}'.length) continue
      assert.equal(readAckBytes(bytes(valid), 0, cut), undefined, `cut at ${cut}`)
    }
  })

  it('answers exactly as JSON.parse + validation for generated acks, and always for the server\'s', () => {
    fc.assert(fc.property(fc.nat({ max: 10 ** 15 - 1 }), fc.nat({ max: 10 ** 15 - 1 }), fc.nat({ max: 10 ** 15 - 1 }), fc.boolean(), (re, id, ts, stored) => {
      const json = `{"type":"ack","re":${re},"id":${id},"ts":${ts}${stored ? ',"stored":true' : ''}}`
      const fast = readAckBytes(bytes(json), 0, json.length)
      assert.notEqual(fast, undefined)
      assert.deepEqual(fast, general(json))
    }))
  })

  it('never disagrees with the general path on mangled input', () => {
    const base = '{"type":"ack","re":17,"id":4096,"ts":1796181268523,"stored":true}'
    const pieces = fc.constantFrom('"', ',', ':', '}', '{', ' ', '0', '7', '.', 'e', '-', 're', 'id', 'ts', 'stored', 'true', 'false', 'é')
    fc.assert(fc.property(fc.nat({ max: base.length }), fc.nat({ max: 3 }), fc.array(pieces, { maxLength: 3 }), (at, drop, insert) => {
      const json = base.slice(0, at) + insert.join('') + base.slice(at + drop)
      const fast = readAckBytes(bytes(json), 0, bytes(json).length)
      if (fast !== undefined) assert.deepEqual(fast, general(json), json)
    }), { numRuns: 2000 })
  })
})
