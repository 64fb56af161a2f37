import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import {
  decodeClientMessage, decodeServerMessage, encodeFrame, ErrorCodes, FrameDecoder, frameBytes,
  MAX_LENGTH_PREFIX_BYTES, PROTOCOL_VERSION, ProtocolError
} from '../src/index.js'
import type { ChatMessage, ClientMessage, Message, ServerMessage } from '../src/index.js'
import { concat, cuts, prefixLength, split } from './byte-streams.js'

const NUM_RUNS = 300

// ---- arbitraries ----

// Records get ordinary prototypes, so decoded JSON compares deep-equal to what was generated.
const plain = { noNullPrototype: true }

/** Surrogate code units, paired or not. */
const surrogates = fc.string({ unit: fc.integer({ min: 0xd800, max: 0xdfff }).map(c => String.fromCharCode(c)), maxLength: 4 })

/** Any text: full Unicode, control characters, surrogate pairs. Always well-formed: a lone surrogate is refused (below). */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  surrogates
).filter(s => s.isWellFormed())

/** Text with at least one lone surrogate (JSON escapes it: `\ud800`). */
const malformedText = fc.tuple(fc.string({ unit: 'binary', maxLength: 10 }), surrogates, fc.string({ unit: 'binary', maxLength: 10 }))
  .map(parts => parts.join(''))
  .filter(s => !s.isWellFormed())
const uint = fc.oneof(fc.nat(1000), fc.maxSafeNat())
const names = fc.array(text, { maxLength: 5 })

const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.record({ type: fc.constant('hello' as const), v: fc.constant(PROTOCOL_VERSION), req: uint, username: text, password: text, register: fc.boolean(), resume: text }, { requiredKeys: ['type', 'v', 'req', 'username'], ...plain }),
  fc.record({ type: fc.constant('join' as const), req: uint, room: text }, plain),
  fc.record({ type: fc.constant('leave' as const), req: uint, room: text }, plain),
  fc.record({ type: fc.constant('send' as const), req: uint, room: text, text, key: text }, { requiredKeys: ['type', 'req', 'room', 'text'], ...plain }),
  fc.record({ type: fc.constant('dm' as const), req: uint, to: text, text, key: text }, { requiredKeys: ['type', 'req', 'to', 'text'], ...plain }),
  fc.record({ type: fc.constant('rooms' as const), req: uint }, plain),
  fc.record({ type: fc.constant('members' as const), req: uint, room: text }, plain),
  fc.record({ type: fc.constant('history' as const), req: uint, room: text, with: text, before: uint, after: uint, limit: uint }, { requiredKeys: ['type', 'req'], ...plain }),
  fc.record({ type: fc.constant('replay' as const), req: uint, room: text, after: uint }, plain),
  fc.record({ type: fc.constant('ping' as const), n: uint }, plain),
  fc.record({ type: fc.constant('pong' as const), n: uint }, plain),
  fc.record({ type: fc.constant('bye' as const), code: text, message: text }, { requiredKeys: ['type'], ...plain })
)

const chatMessage: fc.Arbitrary<ChatMessage> = fc.oneof(
  fc.record({ type: fc.constant('msg' as const), id: uint, room: text, from: text, text, ts: uint, replay: uint }, { requiredKeys: ['type', 'id', 'room', 'from', 'text', 'ts'], ...plain }),
  fc.record({ type: fc.constant('msg' as const), id: uint, to: text, from: text, text, ts: uint }, plain)
)

const serverMessage: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record({
    type: fc.constant('welcome' as const), v: uint, re: uint, username: text, heartbeatIntervalMs: uint,
    heartbeatTimeoutMs: uint, maxFrameBytes: uint, maxTextBytes: uint, registered: fc.boolean(), session: text
  }, plain),
  fc.record({ type: fc.constant('joined' as const), re: uint, room: text, members: names, lastId: uint, truncated: fc.boolean() }, { requiredKeys: ['type', 're', 'room', 'members', 'lastId'], ...plain }),
  fc.record({ type: fc.constant('left' as const), re: uint, room: text }, plain),
  fc.record({ type: fc.constant('ack' as const), re: uint, id: uint, ts: uint, stored: fc.boolean() }, { requiredKeys: ['type', 're', 'id', 'ts'], ...plain }),
  fc.record({
    type: fc.constant('room_list' as const), re: uint, rooms: fc.array(fc.record({ room: text, members: uint }, plain), { maxLength: 4 }), truncated: fc.boolean()
  }, { requiredKeys: ['type', 're', 'rooms'], ...plain }),
  fc.record({ type: fc.constant('member_list' as const), re: uint, room: text, members: names, truncated: fc.boolean() }, { requiredKeys: ['type', 're', 'room', 'members'], ...plain }),
  chatMessage,
  fc.record({ type: fc.constant('history_page' as const), re: uint, messages: fc.array(chatMessage, { maxLength: 3 }), more: fc.boolean(), gone: fc.boolean() }, { requiredKeys: ['type', 're', 'messages', 'more'], ...plain }),
  fc.record({ type: fc.constant('replay_done' as const), re: uint, room: text, lastId: uint }, plain),
  fc.record({
    type: fc.constant('presence' as const), event: fc.constantFrom('join' as const, 'leave' as const), room: text, user: text,
    reason: fc.constantFrom('left' as const, 'quit' as const, 'disconnected' as const)
  }, { requiredKeys: ['type', 'event', 'room', 'user'], ...plain }),
  fc.record({ type: fc.constant('error' as const), re: uint, code: text, message: text, fatal: fc.boolean() }, { requiredKeys: ['type', 'code', 'message'], ...plain }),
  fc.record({ type: fc.constant('ping' as const), n: uint }, plain),
  fc.record({ type: fc.constant('pong' as const), n: uint }, plain),
  fc.record({ type: fc.constant('bye' as const), code: text, message: text }, { requiredKeys: ['type'], ...plain })
)

// ---- helpers ----

function roundTrip<T extends Message> (messages: T[], at: number[], decode: (b: Uint8Array) => unknown): void {
  const stream = concat(messages.map(m => encodeFrame(m)))
  const decoder = new FrameDecoder()
  const decoded: unknown[] = []
  for (const chunk of split(stream, at)) for (const b of decoder.push(chunk)) decoded.push(decode(b.subarray()))
  decoder.end()
  assert.deepEqual(decoded, messages)
}

/** The names of a message's string fields. */
function stringFields (message: Message): string[] {
  return Object.entries(message).filter(([name, value]) => name !== 'type' && typeof value === 'string').map(([name]) => name)
}

// ---- properties ----

describe('properties', () => {
  it('client messages round-trip through encodeFrame -> random chunks -> FrameDecoder -> decodeClientMessage', () => {
    fc.assert(fc.property(fc.array(clientMessage, { maxLength: 10 }), cuts, (messages, at) => {
      roundTrip(messages, at, b => decodeClientMessage(b))
    }), { numRuns: NUM_RUNS })
  })

  it('server messages round-trip through encodeFrame -> random chunks -> FrameDecoder -> decodeServerMessage', () => {
    fc.assert(fc.property(fc.array(serverMessage, { maxLength: 10 }), cuts, (messages, at) => {
      roundTrip(messages, at, b => decodeServerMessage(b))
    }), { numRuns: NUM_RUNS })
  })

  it('a message with a lone surrogate in any of its strings is refused with invalid_message, carrying req', () => {
    // One string field of a valid message replaced by a malformed text.
    const withLoneSurrogate = fc.tuple(clientMessage, malformedText, fc.nat()).filter(([m]) => stringFields(m).length > 0)
    fc.assert(fc.property(withLoneSurrogate, ([message, lone, pick]) => {
      const fields = stringFields(message)
      const spoiled = { ...message, [fields[pick % fields.length]]: lone }
      const frames = new FrameDecoder()
      const [bytes] = frames.push(encodeFrame(spoiled as ClientMessage))
      try {
        decodeClientMessage(bytes.subarray())
        assert.fail(`accepted ${JSON.stringify(spoiled)}`)
      } catch (err) {
        assert.ok(err instanceof ProtocolError, String(err))
        assert.equal(err.code, ErrorCodes.INVALID_MESSAGE, err.message)
        assert.equal(err.req, 'req' in message ? message.req : undefined)
      }
    }), { numRuns: NUM_RUNS })
  })

  it('random bytes only ever raise ProtocolError, and an unfinished frame never holds more than one frame\'s bytes', () => {
    const maxFrameBytes = 64
    // Random chunks, sometimes with a valid frame mixed in so that decoding gets past the first header.
    const chunk = fc.oneof(
      fc.uint8Array({ maxLength: 100 }),
      fc.uint8Array({ maxLength: 60 }).map(b => frameBytes(b, maxFrameBytes)),
      clientMessage.map(m => encodeFrame(m))
    )
    fc.assert(fc.property(fc.array(chunk, { maxLength: 20 }), (chunks) => {
      const decoder = new FrameDecoder(maxFrameBytes)
      const expectProtocolError = (fn: () => void): void => {
        try { fn() } catch (err) { assert.ok(err instanceof ProtocolError, `unexpected ${String(err)}`) }
      }
      for (const c of chunks) {
        const errorBefore = decoder.error
        expectProtocolError(() => {
          for (const b of decoder.push(c)) {
            assert.ok(b.byteLength <= maxFrameBytes)
            expectProtocolError(() => decodeClientMessage(b))
            expectProtocolError(() => decodeServerMessage(b))
          }
        })
        if (errorBefore !== undefined) assert.equal(decoder.error, errorBefore, 'the first error sticks')
        if (decoder.error === undefined) {
          assert.ok(decoder.bufferedBytes <= maxFrameBytes + MAX_LENGTH_PREFIX_BYTES, `buffered ${decoder.bufferedBytes}`)
        } else {
          assert.ok(decoder.error.fatal)
          assert.ok([ErrorCodes.FRAME_TOO_LARGE, ErrorCodes.MALFORMED_FRAME].includes(decoder.error.code as any))
        }
      }
      expectProtocolError(() => { decoder.end() })
    }), { numRuns: 500 })
  })

  it('a valid stream cut short gives malformed_frame at end(), after every frame wholly before the cut', () => {
    fc.assert(fc.property(fc.array(clientMessage, { minLength: 1, maxLength: 6 }), fc.nat(), cuts, (messages, cutAt, at) => {
      const frames = messages.map(m => encodeFrame(m))
      const stream = concat(frames)
      const cut = cutAt % stream.byteLength // strictly short of the whole stream
      const boundaries: number[] = []
      const headerEnds: number[] = []
      let offset = 0
      for (const f of frames) {
        headerEnds.push(offset + prefixLength(f))
        offset += f.byteLength
        boundaries.push(offset)
      }
      const complete = boundaries.filter(b => b <= cut).length

      const decoder = new FrameDecoder()
      const decoded: unknown[] = []
      for (const chunk of split(stream.subarray(0, cut), at)) for (const b of decoder.push(chunk)) decoded.push(decodeClientMessage(b))
      assert.deepEqual(decoded, messages.slice(0, complete))
      if (cut === 0 || boundaries.includes(cut)) {
        decoder.end() // a cut on a frame boundary is a clean end
      } else {
        assert.throws(() => { decoder.end() }, (err: unknown) => err instanceof ProtocolError && err.code === ErrorCodes.MALFORMED_FRAME)
      }
    }), { numRuns: NUM_RUNS })
  })
})
