import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame, ErrorCodes, ProtocolError } from '@chat/protocol'
import { messageText, parseTextBytes, parseTextString, TEXT_BYTES } from '../src/load/message-text.js'
import type { TextFields } from '../src/load/message-text.js'
import { Subscriber } from '../src/load/subscriber.js'
import { FrameScanner } from '../src/targets/frame-scanner.js'
import { LineSplitter } from '../src/targets/line-splitter.js'
import { goalsReport } from '../src/scenarios/goals.js'

// The load generator decides whether a run is valid: these pieces must not miscount.

const utf8 = new TextDecoder()

const fields = (): TextFields => ({ publisher: -1, seq: -1, sentMicros: -1 })

describe('message texts', () => {
  it('are TEXT_BYTES long and read back from bytes and from strings', () => {
    for (const [p, seq, at] of [[0, 0, 1], [9, 123_456, 1_795_960_000_000_000], [42, 7, 5]]) {
      const text = messageText(p, seq, at)
      assert.equal(text.length, TEXT_BYTES)
      const bytes = Buffer.from(`xx${text}yy`)
      const fromBytes = fields()
      assert.equal(parseTextBytes(bytes, 2, 2 + TEXT_BYTES, fromBytes), true)
      assert.deepEqual(fromBytes, { publisher: p, seq, sentMicros: at })
      const fromString = fields()
      assert.equal(parseTextString(text, fromString), true)
      assert.deepEqual(fromString, fromBytes)
    }
  })

  it('refuse texts that are not the load generator\'s', () => {
    for (const text of ['', 'hello', '1:2', '1::3:x', 'a:1:2:x', '1:2:3']) {
      assert.equal(parseTextBytes(Buffer.from(text), 0, text.length, fields()), false, text)
      assert.equal(parseTextString(text, fields()), false, text)
    }
  })
})

describe('FrameScanner', () => {
  it('hands every frame once, in order, however the stream is cut (multi-byte lengths included)', () => {
    const bodies = [1, 127, 128, 300, 20_000].map((n, i) => Buffer.alloc(n, 0x61 + i))
    const stream = Buffer.concat(bodies.map(b => encodeFrame({ type: 'msg', id: 1, from: 'b', text: b.toString(), ts: 1 })))
    const expected = bodies.map(b => JSON.stringify({ type: 'msg', id: 1, from: 'b', text: b.toString(), ts: 1 }))
    for (const cut of [1, 2, 3, 7, 64, 1000, stream.length]) {
      const scanner = new FrameScanner()
      const seen: string[] = []
      for (let i = 0; i < stream.length; i += cut) {
        // A frame that spanned chunks comes as a plain Uint8Array: read it without Buffer methods.
        scanner.push(stream.subarray(i, i + cut), { frame: (bytes, start, end) => { seen.push(utf8.decode(bytes.subarray(start, end))) } })
      }
      assert.deepEqual(seen, expected, `chunks of ${cut}`)
    }
  })

  it('throws the protocol\'s error, from then on, for bytes that cannot be frames', () => {
    const scanner = new FrameScanner()
    const never = { frame: () => { assert.fail('no frame') } }
    const refusal = (err: unknown): boolean => err instanceof ProtocolError && err.code === ErrorCodes.FRAME_TOO_LARGE
    assert.throws(() => { scanner.push(Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]), never) }, refusal)
    assert.throws(() => { scanner.push(encodeFrame({ type: 'ping', n: 1 }), never) }, refusal)
  })
})

describe('LineSplitter', () => {
  it('hands every line once without its ending (LF or CR LF), keeping a partial last line', () => {
    const stream = Buffer.from('one\ntwo\r\n\nthree\r\nfour')
    for (const cut of [1, 2, 5, stream.length]) {
      const splitter = new LineSplitter()
      const seen: string[] = []
      for (let i = 0; i < stream.length; i += cut) {
        splitter.push(stream.subarray(i, i + cut), { line: (bytes, start, end) => { seen.push(bytes.toString('utf8', start, end)) } })
      }
      assert.deepEqual(seen, ['one', 'two', '', 'three'], `chunks of ${cut}`)
      assert.equal(splitter.takeRest()?.toString(), 'four')
    }
  })
})

describe('Subscriber', () => {
  const deliver = (s: Subscriber, publisher: number, seq: number): void => { s.message({ publisher, seq, sentMicros: 0 }) }

  it('counts gaps as lost and steps back as out of order, per publisher', () => {
    const s = new Subscriber(2, undefined, { fromMicros: Infinity })
    for (const seq of [0, 1, 2]) deliver(s, 0, seq)
    for (const seq of [0, 3, 2, 4]) deliver(s, 1, seq) // 1 and 2 skipped, then 2 arrives late
    assert.equal(s.received, 7)
    assert.equal(s.gaps, 2)
    assert.equal(s.outOfOrder, 1)
    assert.equal(s.hasAll([3, 5]), true)
    assert.equal(s.lost([3, 5]), 2)
    // What a publisher sent and never came counts too.
    assert.equal(s.hasAll([5, 5]), false)
    assert.equal(s.lost([5, 5]), 4)
  })

  it('fails on a text from a publisher it does not know', () => {
    const s = new Subscriber(1, undefined, { fromMicros: Infinity })
    deliver(s, 3, 0)
    assert.match(s.failure ?? '', /unknown publisher 3/)
  })
})

describe('goals', () => {
  const row = (target: string, values: Record<string, unknown>): Record<string, unknown> => ({ target, ...values })

  it('judge each target from the chat row of its scenario, and say what was not measured', () => {
    const report = goalsReport([
      { scenario: 'fanout-s100-p1', title: '', columns: [], rows: [row('chat', { xBaseline: 0.85, xSocketio: 30 })], notes: [], results: [] },
      { scenario: 'fanout-s10-p10', title: '', columns: [], rows: [row('chat', { xBaseline: 0.5, xSocketio: 2 })], notes: [], results: [] },
      { scenario: 'connection-scale', title: '', columns: [], rows: [row('chat', { connected: 500, kibPerConnection: 19 })], notes: [], results: [] }
    ])
    const met = Object.fromEntries(report.rows.map(r => [String(r.goal), r.met]))
    assert.equal(met['fanout-s100-p1: deliveries/s vs baseline'], true)
    assert.equal(met['fanout-s10-p10: deliveries/s vs baseline'], false)
    assert.equal(met['fanout-s10-p10: deliveries/s vs socket.io'], false)
    assert.equal(met['latency at 100k deliveries/s: p99 vs baseline'], undefined, 'its scenario did not run')
    const memory = report.rows.find(r => String(r.goal).startsWith('10,000 idle'))!
    assert.equal(memory.met, undefined, 'a few hundred connections are not judged against the 10,000 target')
    assert.match(String(memory.measured), /not measured at 10,000 \(500 connected: 19 KiB each\)/)
  })

  it('judge per-connection memory at 10,000 connections', () => {
    const report = goalsReport([
      { scenario: 'connection-scale', title: '', columns: [], rows: [row('chat', { connected: 10_000, kibPerConnection: 7.7 })], notes: [], results: [] }
    ])
    const memory = report.rows.find(r => String(r.goal).startsWith('10,000 idle'))!
    assert.equal(memory.met, true)
    assert.equal(memory.measured, '7.7 KiB')
  })
})
