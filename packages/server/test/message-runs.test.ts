import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { decodeServerMessage, encodeFrame, FrameDecoder, MAX_RUN_BYTES, messagesOfRun, ROOM_PATTERN, USERNAME_PATTERN } from '@chat/protocol'
import { decodeClientMessageInPlace } from '@chat/protocol/fast'
import type { ChatMessage, MessageRunMessage, ServerMessage } from '@chat/protocol'
import type { SendInPlace } from '@chat/protocol/fast'
import { encodeText, textInPlace } from '../src/commit/message-frame.js'
import type { FramedMessage } from '../src/commit/message-frame.js'
import { messageRunFrames } from '../src/commit/message-runs.js'
import type { Delivery } from '../src/commit/delivery.js'
import { barrier, chatMessageOf, delivery, World } from './units.fixture.js'

/** A room message as the fan-out has it: its text as a string, or read in place from a `send` when it is plain ASCII. */
function framed (id: number, room: string, from: string, text: string, ts: number, inPlace: boolean): FramedMessage {
  const message = { stream: 'r', id, room, from, text, ts }
  if (inPlace) {
    const send = Buffer.from(`ab${JSON.stringify({ type: 'send', req: 1, room, text })}`, 'utf8')
    const read = decodeClientMessageInPlace(send, 2, send.length)
    if ('textAt' in read) return { message, encoded: textInPlace(text, (read as SendInPlace).bytes, (read as SendInPlace).textAt) }
  }
  return { message, encoded: encodeText(text, Buffer.byteLength(text)) }
}

/** Every frame of `bytes`, decoded. */
function framesOf (bytes: Uint8Array): Array<{ body: Uint8Array, message: ServerMessage }> {
  return new FrameDecoder(1 << 24).push(bytes).map(body => ({ body: body.slice(), message: decodeServerMessage(body) }))
}

const anyText = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'binary-ascii', maxLength: 120 }), // quotes, backslashes, control characters
  fc.string({ unit: 'grapheme-ascii', maxLength: 300 })
)
/** A commit's messages of one room: ids mostly consecutive (a gap now and then), timestamps often repeated. */
const roomCommit = fc.record({
  room: fc.stringMatching(ROOM_PATTERN),
  firstId: fc.oneof(fc.nat({ max: 2 ** 40 }).map(n => n + 1), fc.constantFrom(1, 9, 99_999, Number.MAX_SAFE_INTEGER - 200)),
  firstTs: fc.constantFrom(1_700_000_000_000, 0, 9, 999),
  rows: fc.array(fc.record({
    from: fc.stringMatching(USERNAME_PATTERN),
    text: anyText,
    gap: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 3 }) }),
    tsStep: fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat({ max: 20_000 }) }),
    inPlace: fc.boolean()
  }), { minLength: 1, maxLength: 60 }),
  maxFrameBytes: fc.constantFrom(65_536, 2_048, 700)
})

describe('messageRunFrames', () => {
  it('writes the room\'s messages as msgs runs that unpack to exactly those messages, each run the bytes encodeFrame makes of it', () => {
    fc.assert(fc.property(roomCommit, ({ room, firstId, firstTs, rows, maxFrameBytes }) => {
      let id = firstId - 1
      let ts = firstTs
      const messages = rows.map(row => {
        id += 1 + row.gap
        ts += row.tsStep
        return framed(id, room, row.from, row.text, ts, row.inPlace)
      })
      const frames = framesOf(messageRunFrames(room, messages, maxFrameBytes))
      const got: ChatMessage[] = []
      for (const { body, message } of frames) {
        assert.equal(message.type, 'msgs')
        const run = message as MessageRunMessage
        // The same bytes as the general encoder: field order, timestamps only where they change.
        assert.deepEqual(Buffer.from(body), Buffer.from(framesOf(encodeFrame(run, 1 << 24))[0].body))
        const unpacked = messagesOfRun(run)
        for (let i = 1; i < run.rows.length; i++) {
          assert.equal(run.rows[i].length === 3, unpacked[i].ts !== unpacked[i - 1].ts, 'a ts only where it changes')
        }
        // Within the limit, unless one row alone is over it (a msg frame of it would be longer).
        if (run.rows.length > 1) assert.ok(body.length <= Math.min(MAX_RUN_BYTES, maxFrameBytes), `a run of ${body.length} bytes`)
        got.push(...messagesOfRun(run))
      }
      assert.deepEqual(got, messages.map(m => chatMessageOf(m.message)))
    }), { numRuns: 1500 })
  })

  it('splits at a gap in the ids and at MAX_RUN_BYTES', () => {
    const text = 'x'.repeat(1000)
    const messages = Array.from({ length: 100 }, (_, i) => framed(i < 50 ? i + 1 : i + 3, 'general', 'alice', text, 1_700_000_000_000, false))
    const runs = framesOf(messageRunFrames('general', messages, 1 << 20)).map(f => f.message as MessageRunMessage)
    assert.ok(runs.length >= 4, `${runs.length} runs`) // 2 x 50 KB, in 32 KiB runs
    assert.ok(runs.some(r => r.id === 53), 'a run starts after the gap')
    assert.deepEqual(runs.flatMap(r => messagesOfRun(r).map(m => m.id)), messages.map(m => m.message.id))
  })
})

function world (t: TestContext): World {
  const w = new World()
  t.after(() => { w.close() })
  return w
}

describe('FanOut with members that accept runs', () => {
  it('sends runs to members whose hello accepted them and msg frames to the others: the same messages, in the same order', async t => {
    const w = world(t)
    const [alice, carol] = await w.roomOf('general', 'alice', 'carol')
    const bob = w.login('bob', { acceptsRuns: true })
    w.engine.join('general', bob.session)
    await barrier(alice, bob, carol)
    const texts = ['plain', 'say "hi" \\o/', 'héllo', '🎉', 'tab\tx', '', 'x'.repeat(300)]
    const batch: Delivery[] = texts.map((text, i) => delivery(i % 2 === 0 ? alice.session : carol.session, i + 1, text, { room: 'general' }, i + 1))
    w.fanOut.committed(batch)
    await barrier(alice, bob, carol)
    const expected = batch.map(d => chatMessageOf(d.message))
    const runs = bob.peer.messages.filter(m => m.type === 'msgs') as MessageRunMessage[]
    assert.equal(runs.length, 1, 'one run for the commit')
    assert.deepEqual(runs.flatMap(messagesOfRun), expected)
    assert.equal(bob.peer.messages.filter(m => m.type === 'msg').length, 0)
    for (const plain of [alice, carol]) {
      assert.deepEqual(plain.peer.messages.filter(m => m.type === 'msg'), expected, plain.name)
      assert.equal(plain.peer.messages.filter(m => m.type === 'msgs').length, 0)
    }
  })
})
