import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeClientMessage, decodeServerMessage, validateClientMessage, validateServerMessage } from '../src/index.js'
import { decodeChunk, decodeClientChunkInPlace, decodeClientMessageInPlace } from '../src/fast.js'
import { encodeFrame, FrameDecoder } from '../src/index.js'
import type { SendInPlace } from '../src/fast.js'
import { readMsg, readMsgAscii, readMsgAsciiBytes, readSend, readSendAscii, readSendAsciiInPlace } from '../src/plain-frames.js'

/** What the general path makes of a text: the message, or undefined if it throws. */
function referenceWith (validate: (value: unknown) => unknown, json: string): unknown {
  try {
    return validate(JSON.parse(json))
  } catch {
    return undefined
  }
}

const reference = (json: string): unknown => referenceWith(validateClientMessage, json)
const serverReference = (json: string): unknown => referenceWith(validateServerMessage, json)

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
      '{"type":"send","room":"r","text":"t","req":1}', // another order: the general path reads it
      '{"type":"send","req":1,"room":"r","text":"lone\\ud800x"}', // a lone surrogate as an escape: the general path refuses it
      '{"type":"send","req":1,"room":"r","text":"lone\ud800x"}' // a lone surrogate in the string itself (never from UTF-8)
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


describe('readMsg', () => {
  it('reads live room and direct messages as the server writes them', () => {
    const cases = [
      '{"type":"msg","id":1,"room":"general","from":"bob","text":"hello","ts":1795960000000}',
      '{"type":"msg","id":0,"to":"alice","from":"bob","text":"","ts":0}',
      '{"type":"msg","id":999999999999999,"room":"r","from":"b","text":"héllo 日本 🎉","ts":1}'
    ]
    for (const json of cases) {
      const fast = readMsg(json)
      assert.notEqual(fast, undefined, json)
      assert.deepEqual(fast, serverReference(json))
    }
  })

  it('leaves everything else to the general path', () => {
    const cases = [
      '{"type":"msg","id":1,"room":"r","from":"b","text":"say \\"hi\\"","ts":1}',
      '{"type":"msg","id":1,"room":"r","from":"b","text":"a\u0001b","ts":1}',
      '{"type":"msg","id":1,"from":"b","text":"t","ts":1,"room":"r","replay":3}', // a replayed message
      '{"type":"msg","id":1,"room":"r","from":"b","text":"t","ts":1.5}',
      '{"type":"msg","id":01,"room":"r","from":"b","text":"t","ts":1}',
      '{"type":"msg","id":1,"room":"r","to":"x","from":"b","text":"t","ts":1}',
      '{"type":"msg","id":1,"room":"r","from":"b","text":"t","ts":1} ',
      '{"type":"msgs","id":1,"room":"r","from":"b","text":"t","ts":1}',
      '{"type":"ack","re":1,"id":1,"ts":1}'
    ]
    for (const json of cases) assert.equal(readMsg(json), undefined, json)
    const valid = '{"type":"msg","id":12,"room":"general","from":"bob","text":"hello","ts":1795960000000}'
    for (let cut = 0; cut < valid.length; cut++) assert.equal(readMsg(valid.slice(0, cut)), undefined, `cut at ${cut}`)
  })

  it('answers exactly as JSON.parse + validation for generated messages, and takes the fast path when nothing needs escaping', () => {
    fc.assert(fc.property(
      fc.nat({ max: 2 ** 50 }), fc.constantFrom('room', 'to'), anyText, anyText, anyText, fc.nat({ max: 2 ** 50 }),
      (id, where, name, from, text, ts) => {
        const json = JSON.stringify(where === 'room' ? { type: 'msg', id, room: name, from, text, ts } : { type: 'msg', id, to: name, from, text, ts })
        const fast = readMsg(json)
        if (fast !== undefined) assert.deepEqual(fast, serverReference(json))
        const plain = ![name, from, text].some(s => /["\\\u0000-\u001f]/.test(s))
        if (plain && id < 10 ** 15 && ts < 10 ** 15) assert.notEqual(fast, undefined, json)
      }
    ), { numRuns: 3000 })
  })

  it('never disagrees with the general path on mangled input', () => {
    const base = '{"type":"msg","id":42,"room":"general","from":"bob","text":"hello there","ts":1795960000000}'
    const pieces = fc.constantFrom('"', '\\', ',', ':', '}', '{', ' ', '0', '7', '.', 'e', '-', 'room', 'to', 'text', '\u0000', 'é', '\ud800')
    fc.assert(fc.property(fc.nat({ max: base.length }), fc.nat({ max: 3 }), fc.array(pieces, { maxLength: 3 }), (at, drop, insert) => {
      const json = base.slice(0, at) + insert.join('') + base.slice(at + drop)
      const fast = readMsg(json)
      if (fast !== undefined) assert.deepEqual(fast, serverReference(json), json)
    }), { numRuns: 5000 })
  })
})

/** The general path over bytes: the message, or the code of the error it throws. */
function generalPath (bytes: Uint8Array, validate: (value: unknown) => unknown): unknown {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    return 'invalid_utf8'
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return 'malformed_frame'
  }
  try {
    return validate(value)
  } catch (err) {
    return (err as { code: string }).code
  }
}

function outcome (decode: () => unknown): unknown {
  try {
    return decode()
  } catch (err) {
    return (err as { code: string }).code
  }
}

describe('the ASCII fast paths (bytes read as latin1)', () => {
  it('answer only for ASCII bodies, with what the UTF-8 path gives', () => {
    fc.assert(fc.property(fc.nat({ max: 2 ** 40 }), anyText, anyText, anyText, (n, a, b, text) => {
      for (const json of [
        JSON.stringify({ type: 'msg', id: n, room: a, from: b, text, ts: n }),
        JSON.stringify({ type: 'send', req: n, room: a, text, key: b })
      ]) {
        const bytes = Buffer.from(json, 'utf8')
        const latin1 = bytes.toString('latin1')
        const fast = json.startsWith('{"type":"msg"') ? readMsgAscii(latin1) : readSendAscii(latin1)
        if (fast === undefined) continue
        assert.ok(bytes.every(byte => byte < 0x80), 'only ASCII bodies are read as latin1')
        assert.deepEqual(fast, JSON.parse(json))
      }
    }), { numRuns: 3000 })
    assert.equal(readMsgAscii(Buffer.from('{"type":"msg","id":1,"room":"r","from":"b","text":"héllo","ts":1}', 'utf8').toString('latin1')), undefined)
    assert.deepEqual(readMsgAscii('{"type":"msg","id":1,"room":"r","from":"b","text":"hello","ts":1}'), { type: 'msg', id: 1, room: 'r', from: 'b', text: 'hello', ts: 1 })
  })

  it('readMsgAsciiBytes (numbers read from the bytes) answers as readMsgAscii, for a body anywhere in a chunk', () => {
    const number = fc.oneof(fc.nat({ max: 2 ** 53 - 1 }), fc.constantFrom(0, 9, 10, 99, 10 ** 14, 10 ** 15 - 1, 10 ** 15, 1795960000000))
    fc.assert(fc.property(number, fc.constantFrom('room', 'to'), anyText, anyText, anyText, number, fc.nat({ max: 8 }), (id, where, name, from, text, ts, pad) => {
      const json = JSON.stringify(where === 'room' ? { type: 'msg', id, room: name, from, text, ts } : { type: 'msg', id, to: name, from, text, ts })
      const body = Buffer.from(json, 'utf8')
      const chunk = Buffer.concat([Buffer.alloc(pad, 0x37), body, Buffer.alloc(pad, 0x7d)])
      const latin1 = body.toString('latin1')
      assert.deepEqual(readMsgAsciiBytes(latin1, chunk, pad, pad + body.length), readMsgAscii(latin1), json)
    }), { numRuns: 5000 })
    const chunk = Buffer.from('9{"type":"msg","id":0,"to":"a","from":"b","text":"","ts":0}9')
    assert.deepEqual(readMsgAsciiBytes(chunk.toString('latin1', 1, chunk.length - 1), chunk, 1, chunk.length - 1), { type: 'msg', id: 0, to: 'a', from: 'b', text: '', ts: 0 })
  })

  it('decodeClientMessage and decodeServerMessage, over any bytes and any range, answer as the general path', () => {
    const bodies = [
      '{"type":"send","req":42,"room":"general","text":"hello there","key":"abc"}',
      '{"type":"msg","id":42,"room":"general","from":"bob","text":"hello there","ts":1795960000000}'
    ].map(s => Buffer.from(s, 'utf8'))
    const insert = fc.uint8Array({ maxLength: 4 })
    fc.assert(fc.property(fc.nat({ max: 1 }), fc.nat({ max: 120 }), fc.nat({ max: 3 }), insert, fc.nat({ max: 8 }), (which, at, drop, extra, pad) => {
      const base = bodies[which]
      const mangled = Buffer.concat([base.subarray(0, at), extra, base.subarray(Math.min(base.length, at + drop))])
      // The body sits inside a larger chunk, as the decoder hands it over.
      const chunk = Buffer.concat([Buffer.alloc(pad, 0x41), mangled, Buffer.alloc(pad, 0x42)])
      const range = [chunk, pad, pad + mangled.length] as const
      assert.deepEqual(outcome(() => decodeClientMessage(...range)), generalPath(mangled, validateClientMessage))
      assert.deepEqual(outcome(() => decodeServerMessage(...range)), generalPath(mangled, validateServerMessage))
    }), { numRuns: 5000 })
  })

  it('decodeClientMessageInPlace answers as decodeClientMessage, and says where an ASCII send\'s text lies: the bytes JSON.stringify makes of it', () => {
    const number = fc.oneof(fc.nat({ max: 10 ** 15 - 1 }), fc.constantFrom(0, 9, 10, 10 ** 14))
    fc.assert(fc.property(number, anyText, anyText, fc.option(anyText, { nil: undefined }), fc.nat({ max: 8 }), (req, room, text, key, pad) => {
      const json = JSON.stringify(key === undefined ? { type: 'send', req, room, text } : { type: 'send', req, room, text, key })
      const body = Buffer.from(json, 'utf8')
      const chunk = Buffer.concat([Buffer.alloc(pad, 0x22), body, Buffer.alloc(pad, 0x22)])
      const inPlace = outcome(() => decodeClientMessageInPlace(chunk, pad, pad + body.length))
      const general = outcome(() => decodeClientMessage(chunk, pad, pad + body.length))
      if (typeof inPlace !== 'object' || inPlace === null || !('textAt' in inPlace)) {
        assert.deepEqual(inPlace, general)
        return
      }
      const { bytes, textAt, ...message } = inPlace as SendInPlace
      assert.deepEqual(message, general)
      assert.equal(bytes, chunk)
      assert.deepEqual(Buffer.from(bytes.subarray(textAt, textAt + message.text.length + 2)), Buffer.from(JSON.stringify(message.text), 'utf8'))
      // Exactly the sends the ASCII fast path reads.
      assert.notEqual(readSendAscii(body.toString('latin1')), undefined)
    }), { numRuns: 5000 })
    const plainAscii = fc.string({ unit: 'grapheme-ascii', maxLength: 80 }).filter(s => !/["\\\u0000-\u001f]/.test(s))
    fc.assert(fc.property(fc.nat({ max: 10 ** 15 - 1 }), plainAscii, plainAscii, (req, room, text) => {
      const body = Buffer.from(JSON.stringify({ type: 'send', req, room, text }), 'latin1')
      const read = decodeClientMessageInPlace(body) as SendInPlace
      assert.equal(read.bytes, body)
      assert.equal(body.toString('latin1', read.textAt, read.textAt + text.length + 2), JSON.stringify(text))
    }), { numRuns: 2000 })
    const chunk = Buffer.from('xx{"type":"send","req":7,"room":"general","text":"hi there","key":"k1"}x')
    const read = readSendAsciiInPlace(chunk.toString('latin1', 2, chunk.length - 1), chunk, 2, chunk.length - 1)
    assert.deepEqual(read, { type: 'send', req: 7, room: 'general', text: 'hi there', key: 'k1', bytes: chunk, textAt: chunk.indexOf('"hi there"') })
    assert.equal(readSendAsciiInPlace(chunk.toString('latin1', 2, chunk.length - 1) + ' ', chunk, 2, chunk.length), undefined)
  })

  it('decodeClientChunkInPlace answers as decodeChunk with decodeClientMessageInPlace, however the stream is cut', () => {
    const plainAscii = fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).filter(s => !/["\\\u0000-\u001f]/.test(s))
    const frame = fc.oneof(
      fc.record({ req: fc.nat({ max: 10 ** 6 }), room: plainAscii, text: plainAscii, key: fc.option(plainAscii, { nil: undefined }) })
        .map(({ req, room, text, key }) => encodeFrame(key === undefined ? { type: 'send', req, room, text } : { type: 'send', req, room, text, key })),
      fc.tuple(fc.nat({ max: 99 }), anyText).map(([req, text]) => encodeFrame({ type: 'send', req, room: 'r', text })),
      fc.nat({ max: 99 }).map(req => encodeFrame({ type: 'join', req, room: 'general' })),
      fc.uint8Array({ maxLength: 30 }).map(bytes => { const body = Buffer.concat([Buffer.from('{"type":"send","req":1,"room":"r","text":"'), bytes]); return Buffer.concat([Buffer.from([body.length]), body]) })
    )
    fc.assert(fc.property(fc.array(frame, { maxLength: 12 }), fc.array(fc.nat({ max: 400 }), { maxLength: 4 }), (frames, cuts) => {
      const stream = Buffer.concat(frames)
      const points = [...new Set(cuts.map(c => Math.min(c, stream.length)))].sort((a, b) => a - b)
      const chunks: Buffer[] = []
      let from = 0
      for (const p of [...points, stream.length]) {
        chunks.push(stream.subarray(from, p))
        from = p
      }
      const inChunk = new FrameDecoder(1 << 16)
      const oneByOne = new FrameDecoder(1 << 16)
      for (const chunk of chunks) {
        const a = outcome(() => decodeClientChunkInPlace(inChunk, chunk))
        const b = outcome(() => decodeChunk(oneByOne, chunk, decodeClientMessageInPlace))
        assert.deepEqual(a, b)
      }
    }), { numRuns: 3000 })
  })
})
