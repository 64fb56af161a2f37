import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Uint8ArrayList } from 'uint8arraylist'
import {
  CLIENT_FIELDS, decodeClientMessage, decodeServerMessage, ErrorCodes, FATAL_CODES, PROTOCOL_VERSION, ProtocolError,
  SERVER_FIELDS, validateClientMessage, validateServerMessage
} from '../src/index.js'
import type { ClientMessage, FieldKind, FieldSpec, SendMessage, ServerMessage } from '../src/index.js'

const utf8 = new TextEncoder()

function body (value: unknown): Uint8Array {
  return utf8.encode(typeof value === 'string' ? value : JSON.stringify(value))
}

function refusal (fn: () => unknown): ProtocolError {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof ProtocolError, `expected a ProtocolError, got ${String(err)}`)
    return err
  }
  assert.fail('expected the message to be refused')
}

type Decode = (body: Uint8Array | Uint8ArrayList) => unknown
type Schema = Readonly<Record<string, Readonly<Record<string, FieldSpec>>>>

// Hand-written, realistic messages: the schema must accept them as they are.

const VALID_CLIENT: ClientMessage[] = [
  { type: 'hello', v: 1, req: 1, username: 'alice', password: 'correct horse', register: true },
  { type: 'hello', v: 1, req: 1, username: 'alice', resume: 'c2Vzc2lvbg' },
  { type: 'hello', v: 1, req: 1, username: 'alice' },
  { type: 'hello', v: 1, req: 1, username: 'alice', accept: ['msgs', 'something-later'] },
  { type: 'join', req: 2, room: 'general' },
  { type: 'leave', req: 3, room: 'general' },
  { type: 'send', req: 4, room: 'general', text: 'hi' },
  { type: 'send', req: 4, room: 'general', text: 'hi', key: '0b9d2c4e-5f3a-4c1e-9a7b-1d2e3f4a5b6c' },
  { type: 'dm', req: 5, to: 'bob', text: 'psst' },
  { type: 'dm', req: 5, to: 'bob', text: 'psst', key: 'k1' },
  { type: 'rooms', req: 6 },
  { type: 'members', req: 7, room: 'general' },
  { type: 'history', req: 8, room: 'general', with: 'bob', before: 10, after: 2, limit: 50 },
  { type: 'history', req: 8 },
  { type: 'replay', req: 9, room: 'general', after: 41 },
  { type: 'typing', req: 10, room: 'general', active: true },
  { type: 'typing', req: 10, to: 'bob', active: false },
  { type: 'read', req: 11, room: 'general', id: 41 },
  { type: 'read', req: 11, with: 'bob', id: 3 },
  { type: 'unread', req: 12, room: 'general' },
  { type: 'unread', req: 12, with: 'bob' },
  { type: 'ping', n: 1 },
  { type: 'pong', n: 1 },
  { type: 'bye' },
  { type: 'bye', code: 'later', message: 'gone fishing' }
]

const VALID_SERVER: ServerMessage[] = [
  {
    type: 'welcome', v: 1, re: 1, username: 'alice', heartbeatIntervalMs: 10000,
    heartbeatTimeoutMs: 30000, maxFrameBytes: 65536, maxTextBytes: 16384, registered: false, session: 'tok'
  },
  { type: 'joined', re: 2, room: 'general', members: ['alice', 'bob'], lastId: 0, truncated: true },
  { type: 'joined', re: 2, room: 'general', members: ['alice', 'bob'], lastId: 7 },
  { type: 'joined', re: 2, room: 'general', members: [], lastId: 0 },
  { type: 'left', re: 3, room: 'general' },
  { type: 'ack', re: 4, id: 17, ts: 1700000000000, stored: true },
  { type: 'ack', re: 4, id: 17, ts: 1700000000000 },
  { type: 'room_list', re: 5, rooms: [{ room: 'general', members: 2 }, { room: 'dev', members: 0 }], truncated: true },
  { type: 'room_list', re: 5, rooms: [] },
  { type: 'member_list', re: 6, room: 'general', members: ['alice'], truncated: false },
  { type: 'msg', id: 1, room: 'general', from: 'alice', text: 'hi', ts: 1700000000000, replay: 9 },
  { type: 'msg', id: 1, room: 'general', from: 'alice', text: 'hi', ts: 1700000000000 },
  { type: 'msg', id: 1, to: 'bob', from: 'alice', text: 'psst', ts: 1700000000000 },
  { type: 'msgs', room: 'general', id: 41, rows: [['alice', 'hi', 1700000000000], ['bob', 'yo'], ['alice', '', 1700000000002]] },
  {
    type: 'history_page',
    re: 8,
    messages: [{ type: 'msg', id: 1, room: 'general', from: 'alice', text: 'hi', ts: 1700000000000 }],
    more: true,
    gone: true
  },
  { type: 'history_page', re: 8, messages: [], more: false },
  { type: 'replay_done', re: 9, room: 'general', lastId: 42 },
  { type: 'joined', re: 2, room: 'general', members: ['alice'], lastId: 7, read: 5, unread: 2 },
  { type: 'ok', re: 10 },
  { type: 'marker', re: 11, room: 'general', read: 41, unread: 1, lastId: 42 },
  { type: 'marker', re: 12, with: 'bob', read: 0, unread: 0, lastId: 0 },
  { type: 'typing', room: 'general', user: 'alice', active: true },
  { type: 'typing', to: 'bob', user: 'alice', active: false },
  { type: 'read', room: 'general', user: 'alice', id: 41 },
  { type: 'read', with: 'bob', user: 'alice', id: 3 },
  { type: 'presence', event: 'join', room: 'general', user: 'bob' },
  { type: 'presence', event: 'leave', room: 'general', user: 'bob', reason: 'quit' },
  { type: 'error', code: 'invalid_message', message: 'no' },
  { type: 'error', re: 9, code: 'not_member', message: 'join first' },
  { type: 'error', code: 'slow_consumer', message: 'bye', fatal: true },
  { type: 'ping', n: 3 },
  { type: 'pong', n: 3 },
  { type: 'bye' },
  { type: 'bye', code: 'server_shutdown', message: 'the server is shutting down' }
]

/** A value of each kind that a field must accept. */
const GOOD_VALUE: Record<FieldKind, unknown> = {
  uint: 7,
  string: 'general',
  bool: false,
  strings: ['alice', 'bob'],
  rooms: [{ room: 'general', members: 2 }],
  messages: [{ type: 'msg', id: 1, room: 'general', from: 'alice', text: 'hi', ts: 1700000000000 }],
  rows: [['alice', 'hi', 1700000000000], ['bob', 'yo']]
}

/** Values that a field of each kind must refuse. `null` is never "absent". */
const WRONG_VALUES: Record<FieldKind, unknown[]> = {
  uint: [-1, 1.5, '1', null, true, 2 ** 53, Number.MAX_SAFE_INTEGER + 2, [], {}],
  string: [1, null, true, ['a'], {}],
  strings: ['a', null, [1], ['a', null], { 0: 'a' }],
  rooms: ['a', null, [null], [{ room: 'a' }], [{ members: 1 }], [{ room: 1, members: 1 }], [{ room: 'a', members: -1 }], [{ room: 'a', members: '1' }]],
  bool: ['true', 1, 0, null],
  messages: [
    'a', null, {}, [null], [1],
    [{ id: 1, from: 'a', text: 'b' }], // no ts
    [{ id: -1, from: 'a', text: 'b', ts: 1 }],
    [{ id: 1, from: 1, text: 'b', ts: 1 }],
    [{ id: 1, from: 'a', text: null, ts: 1 }],
    [{ id: 1, from: 'a', text: 'b', ts: 1.5 }]
  ],
  rows: [
    'a', null, {}, [], [null], [{}],
    [['a', 'b']], // the first row without its ts
    [['a', 'b', 1], ['c']],
    [['a', 'b', 1], ['c', 'd', 2, 3]],
    [['a', 'b', -1]], [['a', 'b', 1.5]], [['a', 'b', '1']], [['a', 'b', null]],
    [[1, 'b', 1]], [['a', null, 1]], [['a', 'b', 1], null]
  ]
}

/**
 * Values of each kind holding a lone surrogate: right in type, but not
 * well-formed Unicode. JSON.stringify writes each as an escape (`"\ud800"`),
 * as a client would have to.
 */
const LONE_SURROGATES: Record<FieldKind, unknown[]> = {
  uint: [],
  bool: [],
  string: ['lone\ud800x', '\udfff', 'end\ud83d', 'swapped \ude00\ud83d'],
  strings: [['alice', 'b\ud800b']],
  rooms: [[{ room: 'general', members: 1 }, { room: '\udc00', members: 1 }]],
  messages: [
    [{ type: 'msg', id: 1, room: 'general', from: 'alice', text: 'lone\ud800x', ts: 1 }],
    [{ type: 'msg', id: 1, room: 'general\ud800', from: 'alice', text: 'hi', ts: 1 }],
    [{ type: 'msg', id: 1, to: 'bob', from: '\udbff', text: 'hi', ts: 1 }]
  ],
  rows: [[['alice', 'lone\ud800x', 1]], [['alice', 'hi', 1], ['\udbff', 'hi']]]
}

function parseSpec (spec: FieldSpec): { kind: FieldKind, optional: boolean } {
  const optional = spec.endsWith('?')
  return { kind: (optional ? spec.slice(0, -1) : spec) as FieldKind, optional }
}

/** Fields whose value is fixed, not only typed: a hello's version. */
const FIXED_VALUE: Record<string, Record<string, unknown>> = { hello: { v: PROTOCOL_VERSION } }

/** The code refusing a message whose field `name` is missing or wrong: a hello without its version is unsupported_version (fatal). */
function refusalCode (type: string, name: string): string {
  return type === 'hello' && name === 'v' ? ErrorCodes.UNSUPPORTED_VERSION : ErrorCodes.INVALID_MESSAGE
}

/** A message of `type` built from the schema: every field, or the required ones only. */
function messageOf (type: string, fields: Readonly<Record<string, FieldSpec>>, optionalToo: boolean): Record<string, unknown> {
  const message: Record<string, unknown> = { type }
  for (const [name, spec] of Object.entries(fields)) {
    const { kind, optional } = parseSpec(spec)
    if (optionalToo || !optional) message[name] = FIXED_VALUE[type]?.[name] ?? GOOD_VALUE[kind]
  }
  return message
}

/** Names that no side knows, inherited property names among them. */
const MADE_UP_TYPES = ['teleport', 'HELLO', 'Msg', '', '__proto__', 'constructor', 'toString', 'hasOwnProperty']

function fieldTests (side: string, decode: Decode, valid: Array<{ type: string }>, schema: Schema, otherSide: Schema): void {
  describe(`${side}: every field of every message type, from the exported schema`, () => {
    it('has a hand-written example for every message type, and each decodes unchanged', () => {
      assert.deepEqual(new Set(valid.map(message => message.type)), new Set(Object.keys(schema)))
      for (const message of valid) assert.deepEqual(decode(body(message)), message)
    })

    for (const [type, fields] of Object.entries(schema)) {
      const full = messageOf(type, fields, true)
      // A request id rides along, so a refusal can reference it (an extra field is fine on any type).
      const withReq = { req: 41, ...full }
      const expectedReq = 'req' in fields ? GOOD_VALUE.uint : 41

      it(`"${type}": passes with every field, and with the required ones only`, () => {
        assert.deepEqual(decode(body(full)), full)
        const required = messageOf(type, fields, false)
        assert.deepEqual(decode(body(required)), required)
      })

      it(`"${type}": each optional field may be absent; each required one missing is invalid_message, carrying req`, () => {
        for (const [name, spec] of Object.entries(fields)) {
          const missing: Record<string, unknown> = { ...withReq }
          delete missing[name]
          if (parseSpec(spec).optional) {
            assert.deepEqual(decode(body(missing)), missing, `${type}.${name} may be absent`)
            continue
          }
          const err = refusal(() => decode(body(missing)))
          const code = schema === CLIENT_FIELDS ? refusalCode(type, name) : ErrorCodes.INVALID_MESSAGE
          assert.equal(err.code, code, `${type} without ${name}`)
          assert.equal(err.fatal, code !== ErrorCodes.INVALID_MESSAGE)
          assert.equal(err.req, name === 'req' ? undefined : expectedReq, `${type} without ${name} carries req`)
          assert.match(err.message, new RegExp(`"${name}"`))
        }
      })

      it(`"${type}": each field of the wrong kind is invalid_message, carrying req`, () => {
        for (const [name, spec] of Object.entries(fields)) {
          for (const wrong of WRONG_VALUES[parseSpec(spec).kind]) {
            const err = refusal(() => decode(body({ ...withReq, [name]: wrong })))
            const code = schema === CLIENT_FIELDS ? refusalCode(type, name) : ErrorCodes.INVALID_MESSAGE
            assert.equal(err.code, code, `${type}.${name} = ${JSON.stringify(wrong)}`)
            assert.equal(err.fatal, code !== ErrorCodes.INVALID_MESSAGE)
            assert.equal(err.req, name === 'req' ? undefined : expectedReq, `${type}.${name} = ${JSON.stringify(wrong)} carries req`)
            assert.match(err.message, new RegExp(`"${name}"`))
          }
        }
      })

      it(`"${type}": a lone surrogate in any string is invalid_message, carrying req; a surrogate pair is fine`, () => {
        for (const [name, spec] of Object.entries(fields)) {
          for (const lone of LONE_SURROGATES[parseSpec(spec).kind]) {
            const json = JSON.stringify({ ...withReq, [name]: lone })
            assert.match(json, /\\ud[89a-f]/i, 'sent as a JSON escape')
            const err = refusal(() => decode(body(json)))
            assert.equal(err.code, ErrorCodes.INVALID_MESSAGE, `${type}.${name} = ${json}`)
            assert.equal(err.fatal, false)
            assert.equal(err.req, name === 'req' ? undefined : expectedReq)
            assert.match(err.message, new RegExp(`"${name}".*well-formed Unicode`))
          }
          if (parseSpec(spec).kind === 'string') {
            // A pair is one character (U+1F600), whether escaped or written as UTF-8.
            const raw = JSON.stringify({ ...withReq, [name]: '😀' })
            for (const json of [raw, raw.replace('😀', '\\ud83d\\ude00')]) {
              assert.equal((decode(body(json)) as Record<string, unknown>)[name], '😀', json)
            }
          }
        }
      })
    }

    it('refuses the other side\'s message types and made-up ones with unknown_type, carrying req', () => {
      const foreign = Object.keys(otherSide).filter(type => !Object.hasOwn(schema, type))
      assert.ok(foreign.length > 0)
      for (const type of [...foreign, ...MADE_UP_TYPES]) {
        const err = refusal(() => decode(body({ ...messageOf(type, Object.hasOwn(otherSide, type) ? otherSide[type] : {}, true), type, req: 3 })))
        assert.equal(err.code, ErrorCodes.UNKNOWN_TYPE, `type ${JSON.stringify(type)}`)
        assert.equal(err.fatal, false)
        assert.equal(err.req, 3)
      }
    })
  })
}

describe('decodeClientMessage', () => {
  fieldTests('client', decodeClientMessage, VALID_CLIENT, CLIENT_FIELDS, SERVER_FIELDS)

  it('keeps unknown extra fields (forward compatibility)', () => {
    assert.deepEqual(decodeClientMessage(body({ type: 'join', req: 1, room: 'a', since: 5 })), { type: 'join', req: 1, room: 'a', since: 5 })
  })

  it('refuses a hello whose v is not 1 (or is missing) with unsupported_version, fatal, carrying req: checked before its other fields', () => {
    for (const hello of [
      { type: 'hello', req: 3, v: 2, username: 'alice' },
      { type: 'hello', req: 3, v: 0 },
      { type: 'hello', req: 3, username: 'alice' },
      { type: 'hello', req: 3, v: '1', username: 'alice' },
      { type: 'hello', req: 3, v: null, username: 42 },
      { type: 'hello', req: 3, v: 1.5, username: 'alice' },
      { type: 'hello', req: 3, v: 'x'.repeat(1000), username: 'alice' }
    ]) {
      const err = refusal(() => decodeClientMessage(body(hello)))
      assert.equal(err.code, ErrorCodes.UNSUPPORTED_VERSION, JSON.stringify(hello))
      assert.equal(err.fatal, true)
      assert.equal(err.req, 3)
      assert.ok(err.message.length < 120, err.message)
    }
    // Without a readable req there is nothing to carry back; the server's own messages have no version to check.
    assert.equal(refusal(() => decodeClientMessage(body({ type: 'hello', v: 2 }))).req, undefined)
    assert.deepEqual(decodeServerMessage(body({ ...VALID_SERVER[0], v: 2 })), { ...VALID_SERVER[0], v: 2 })
  })

  it('refuses a plain ASCII send whose text escapes a lone surrogate (the fast path leaves escapes to the checked path)', () => {
    for (const json of [
      '{"type":"send","req":5,"room":"general","text":"lone\\ud800x"}',
      '{"type":"send","req":5,"room":"general","text":"hi","key":"k\\udc00"}',
      '{"type":"send","req":5,"room":"gen\\udbffl","text":"hi"}'
    ]) {
      const err = refusal(() => decodeClientMessage(body(json)))
      assert.equal(err.code, ErrorCodes.INVALID_MESSAGE, json)
      assert.equal(err.req, 5)
    }
    assert.equal((decodeClientMessage(body('{"type":"send","req":5,"room":"general","text":"pair \\ud83d\\ude00"}')) as SendMessage).text, 'pair 😀')
  })

  it('refuses a missing or non-string type with invalid_message, carrying a readable req', () => {
    const noType = refusal(() => decodeClientMessage(body({ req: 8, room: 'a' })))
    assert.equal(noType.code, ErrorCodes.INVALID_MESSAGE)
    assert.equal(noType.req, 8)
    const numType = refusal(() => decodeClientMessage(body({ type: 1, req: 9 })))
    assert.equal(numType.code, ErrorCodes.INVALID_MESSAGE)
    assert.equal(numType.req, 9)
    const badReq = refusal(() => decodeClientMessage(body({ type: 'nope', req: -1 })))
    assert.equal(badReq.code, ErrorCodes.UNKNOWN_TYPE)
    assert.equal(badReq.req, undefined, 'an unreadable req is not carried')
  })

  it('keeps the unknown type short in the error text', () => {
    const err = refusal(() => decodeClientMessage(body({ type: 'x'.repeat(1000) })))
    assert.equal(err.code, ErrorCodes.UNKNOWN_TYPE)
    assert.ok(err.message.length < 100, err.message)
  })
})

describe('decodeServerMessage', () => {
  fieldTests('server', decodeServerMessage, VALID_SERVER, SERVER_FIELDS, CLIENT_FIELDS)
})

describe('CLIENT_FIELDS and SERVER_FIELDS', () => {
  it('are read-only, to the last field', () => {
    for (const schema of [CLIENT_FIELDS, SERVER_FIELDS]) {
      assert.ok(Object.isFrozen(schema))
      for (const fields of Object.values(schema)) assert.ok(Object.isFrozen(fields))
      assert.throws(() => { (schema as any).ping.n = 'string' }, TypeError)
    }
  })
})

describe('non-object and unreadable bodies', () => {
  for (const [side, decode] of [['client', decodeClientMessage], ['server', decodeServerMessage]] as Array<[string, Decode]>) {
    it(`${side}: a JSON value that is not an object is invalid_message, not fatal`, () => {
      for (const json of ['null', '1', '"hello"', 'true', '[]', '[{"type":"ping","n":1}]']) {
        const err = refusal(() => decode(body(json)))
        assert.equal(err.code, ErrorCodes.INVALID_MESSAGE, json)
        assert.equal(err.fatal, false)
        assert.equal(err.req, undefined)
      }
    })

    it(`${side}: invalid JSON is malformed_frame, fatal`, () => {
      for (const text of ['', ' ', '{', '{"type":"ping","n":1', "{'type':'ping'}", '{"type":"ping","n":1}}', 'NaN', '{"n":01}']) {
        const err = refusal(() => decode(body(text)))
        assert.equal(err.code, ErrorCodes.MALFORMED_FRAME, JSON.stringify(text))
        assert.equal(err.fatal, true)
      }
    })

    it(`${side}: invalid UTF-8 is invalid_utf8, fatal (never replaced with U+FFFD)`, () => {
      const invalid = [
        [0xff],
        [0xc0, 0x80], // overlong NUL
        [0xed, 0xa0, 0x80], // an encoded surrogate
        [0xe2, 0x82], // truncated sequence
        [0xf4, 0x90, 0x80, 0x80] // past U+10FFFF
      ]
      for (const bad of invalid) {
        const bytes = Uint8Array.from([...body('{"type":"bye","message":"'), ...bad, ...body('"}')])
        const err = refusal(() => decode(bytes))
        assert.equal(err.code, ErrorCodes.INVALID_UTF8, bad.map(b => b.toString(16)).join(' '))
        assert.equal(err.fatal, true)
      }
    })
  }

  it('decodes a body held as a Uint8ArrayList, even with a character split across its parts', () => {
    const bytes = body({ type: 'bye', message: 'héllo 👋 world' })
    const split = bytes.indexOf(0xf0) + 2 // inside the 4-byte emoji
    const list = new Uint8ArrayList(bytes.subarray(0, split), bytes.subarray(split))
    assert.deepEqual(decodeServerMessage(list), { type: 'bye', message: 'héllo 👋 world' })
  })

  it('validators refuse non-objects given directly', () => {
    assert.equal(refusal(() => validateClientMessage(undefined)).code, ErrorCodes.INVALID_MESSAGE)
    assert.equal(refusal(() => validateServerMessage('ping')).code, ErrorCodes.INVALID_MESSAGE)
  })
})

describe('ProtocolError', () => {
  it('is fatal exactly for the codes after which the byte stream or session cannot go on', () => {
    const fatal = new Set(['frame_too_large', 'malformed_frame', 'invalid_utf8', 'unsupported_version'])
    assert.deepEqual(new Set(FATAL_CODES), fatal)
    for (const code of Object.values(ErrorCodes)) {
      assert.equal(new ProtocolError(code, 'x').fatal, fatal.has(code), code)
    }
  })

  it('has every code once, as a lower_snake_case string', () => {
    const codes = Object.values(ErrorCodes)
    assert.equal(new Set(codes).size, codes.length)
    for (const code of codes) assert.match(code, /^[a-z][a-z0-9_]*$/)
  })

  it('carries code, message and req, and is an Error', () => {
    const err = new ProtocolError(ErrorCodes.NOT_MEMBER, 'join first', 4)
    assert.ok(err instanceof Error)
    assert.equal(err.name, 'ProtocolError')
    assert.equal(err.code, 'not_member')
    assert.equal(err.message, 'join first')
    assert.equal(err.req, 4)
    assert.equal(new ProtocolError(ErrorCodes.NOT_MEMBER, 'x').req, undefined)
  })
})
