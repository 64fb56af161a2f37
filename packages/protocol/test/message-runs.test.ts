import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeServerMessage, encodeFrame, ErrorCodes, FrameDecoder, messagesOfRun, ProtocolError } from '../src/index.js'
import type { MessageRunMessage } from '../src/index.js'

const utf8 = new TextEncoder()

function decodeRun (value: unknown): unknown {
  return decodeServerMessage(utf8.encode(JSON.stringify(value)))
}

describe('msgs: a run of room messages (PROTOCOL.md §10)', () => {
  it('unpacks into the msg each row stands for: consecutive ids, a missing ts is the row before\'s', () => {
    const run: MessageRunMessage = {
      type: 'msgs',
      room: 'general',
      id: 7,
      rows: [['alice', 'one', 1700000000000], ['bob', 'two'], ['alice', 'three ☃', 1700000000005], ['carol', '']]
    }
    assert.deepEqual(messagesOfRun(decodeRun(run) as MessageRunMessage), [
      { type: 'msg', id: 7, room: 'general', from: 'alice', text: 'one', ts: 1700000000000 },
      { type: 'msg', id: 8, room: 'general', from: 'bob', text: 'two', ts: 1700000000000 },
      { type: 'msg', id: 9, room: 'general', from: 'alice', text: 'three ☃', ts: 1700000000005 },
      { type: 'msg', id: 10, room: 'general', from: 'carol', text: '', ts: 1700000000005 }
    ])
  })

  it('goes through framing like any message', () => {
    const run: MessageRunMessage = { type: 'msgs', room: 'r', id: 1, rows: [['a', 'x', 5]] }
    const frames = new FrameDecoder(1024).push(encodeFrame(run))
    assert.equal(frames.length, 1)
    assert.deepEqual(decodeServerMessage(frames[0]), run)
  })

  it('refuses a run whose last id is past 2^53 - 1, and one with no rows', () => {
    for (const bad of [
      { type: 'msgs', room: 'r', id: Number.MAX_SAFE_INTEGER, rows: [['a', 'x', 1], ['b', 'y']] },
      { type: 'msgs', room: 'r', id: 1, rows: [] }
    ]) {
      assert.throws(() => decodeRun(bad), (err: unknown) => err instanceof ProtocolError && err.code === ErrorCodes.INVALID_MESSAGE)
    }
    // The last id itself may be 2^53 - 1.
    assert.equal((decodeRun({ type: 'msgs', room: 'r', id: Number.MAX_SAFE_INTEGER - 1, rows: [['a', 'x', 1], ['b', 'y']] }) as MessageRunMessage).rows.length, 2)
  })
})
