import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { validateClientMessage } from '../src/index.js'
import { readSend } from '../src/send-reader.js'

/** What the general path makes of a text: the message, or undefined if it throws. */
function reference (json: string): unknown {
  try {
    return validateClientMessage(JSON.parse(json))
  } catch {
    return undefined
  }
}

/** The fast path agrees with the general one whenever it answers. */
function agrees (json: string): void {
  const fast = readSend(json)
  if (fast !== undefined) assert.deepEqual(fast, reference(json), json)
}

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: 'binary-ascii', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 20 })
)
const plainText = fc.string({ unit: 'grapheme', maxLength: 80 }).filter(s => !/["\\\u0000-\u001f]/.test(s))

describe('readSend', () => {
  it('reads sends as clients write them, with or without a key', () => {
    const cases = [
      '{"type":"send","req":3,"room":"general","text":"hello"}',
      '{"type":"send","req":3,"room":"general","text":"hello","key":"5b1c"}',
      '{"type":"send","req":0,"room":"a","text":""}',
      '{"type":"send","req":999999999999999,"room":"a","text":"héllo 日本 🎉"}'
    ]
    for (const json of cases) {
      const fast = readSend(json)
      assert.notEqual(fast, undefined, json)
      assert.deepEqual(fast, reference(json))
    }
    assert.deepEqual(readSend('{"type":"send","req":7,"room":"r","text":"t","key":"k"}'), { type: 'send', req: 7, room: 'r', text: 't', key: 'k' })
  })

  it('leaves everything else to the general path', () => {
    const cases = [
      '{"type":"send","req":1,"room":"r","text":"say \\"hi\\""}', // escape
      '{"type":"send","req":1,"room":"r","text":"a\u0001b"}', // raw control character (invalid JSON)
      '{"type":"send", "req":1,"room":"r","text":"t"}', // whitespace
      '{"type":"send","req":01,"room":"r","text":"t"}', // leading zero (invalid JSON)
      '{"type":"send","req":1.5,"room":"r","text":"t"}',
      '{"type":"send","req":-1,"room":"r","text":"t"}',
      '{"type":"send","req":1e3,"room":"r","text":"t"}',
      '{"type":"send","req":1234567890123456,"room":"r","text":"t"}', // past 15 digits
      '{"type":"send","req":1,"room":"r","text":"t","extra":1}', // another field (kept by the general path)
      '{"type":"send","req":1,"room":"r","text":"a","text":"b"}', // repeated field
      '{"type":"send","req":1,"room":"r"}', // missing text
      '{"type":"send","room":"r","text":"t"}', // missing req
      '{"type":"send","req":1,"room":"r","text":"t"}x',
      '{"type":"send","req":1,"room":"r","text":"t}',
      '{"type":"send","req":1,"room":"r","text":"t"',
      '{"type":"sender","req":1,"room":"r","text":"t"}',
      '{"type":"send","req":"1","room":"r","text":"t"}',
      '{"type":"send","req":1,"room":7,"text":"t"}',
      '{"type":"dm","req":1,"to":"bob","text":"t"}',
      '{"type":"send","room":"r","text":"t","req":1}' // another order: the general path reads it
    ]
    for (const json of cases) assert.equal(readSend(json), undefined, json)
    const valid = '{"type":"send","req":12,"room":"general","text":"hello","key":"k"}'
    for (let cut = 0; cut < valid.length; cut++) assert.equal(readSend(valid.slice(0, cut)), undefined, `cut at ${cut}`)
  })

  it('answers exactly as JSON.parse + validation for generated sends', () => {
    fc.assert(fc.property(
      fc.nat({ max: 2 ** 50 }), anyText, anyText, fc.option(anyText, { nil: undefined }), fc.boolean(),
      (req, room, text, key, reorder) => {
        const fields: Array<[string, unknown]> = [['req', req], ['room', room], ['text', text]]
        if (key !== undefined) fields.push(['key', key])
        if (reorder) fields.reverse()
        const json = JSON.stringify(Object.fromEntries([['type', 'send'], ...fields]))
        agrees(json)
      }
    ), { numRuns: 3000 })
  })

  it('takes the fast path whenever nothing needs escaping', () => {
    fc.assert(fc.property(fc.nat({ max: 10 ** 15 - 1 }), plainText, plainText, (req, room, text) => {
      const json = JSON.stringify({ type: 'send', req, room, text })
      assert.deepEqual(readSend(json), { type: 'send', req, room, text })
    }), { numRuns: 2000 })
  })

  it('never disagrees with the general path on mangled input', () => {
    const base = '{"type":"send","req":42,"room":"general","text":"hello there","key":"abc"}'
    const pieces = fc.constantFrom('"', '\\', ',', ':', '}', '{', ' ', '0', '7', '.', 'e', '-', 'req', 'text', 'key', 'room', '\u0000', 'é', '\ud800')
    fc.assert(fc.property(fc.nat({ max: base.length }), fc.nat({ max: 3 }), fc.array(pieces, { maxLength: 3 }), (at, drop, insert) => {
      agrees(base.slice(0, at) + insert.join('') + base.slice(at + drop))
    }), { numRuns: 5000 })
  })
})
