import type { ChatMessage, ClientMessage, MessageRow, RoomInfo, ServerMessage } from './messages.js'

/**
 * What a field must hold (PROTOCOL.md §3): `uint` a non-negative safe integer,
 * `string`, `bool`, `strings` an array of strings, `rooms` an array of
 * `{ room: string, members: uint }`, `messages` an array of chat messages
 * (checked for `id`, `from`, `text` and `ts`), `rows` the rows of a `msgs`
 * run (`[from, text, ts?]`, at least one, the first with its `ts`).
 */
export type FieldKind = 'uint' | 'string' | 'bool' | 'strings' | 'rooms' | 'messages' | 'rows'

/** A field's kind; a trailing `?` makes it optional: absent is fine, `null` is not. */
export type FieldSpec = FieldKind | `${FieldKind}?`

/** The kind of a field's TypeScript type. */
type KindOf<V> =
  V extends number ? 'uint'
    : V extends boolean ? 'bool'
      : V extends string ? 'string'
        : V extends string[] ? 'strings'
          : V extends RoomInfo[] ? 'rooms'
            : V extends ChatMessage[] ? 'messages'
              : V extends MessageRow[] ? 'rows'
                : never

/** Every field of one message interface but `type`, with its spec. */
type FieldsOf<M> = {
  readonly [F in Exclude<keyof M, 'type'>]-?: {} extends Pick<M, F> ? `${KindOf<NonNullable<M[F]>>}?` : KindOf<M[F]>
}

/**
 * Every message type of one side, with its fields. Derived from the message
 * interfaces (messages.ts), so a schema that misses, adds or mistypes a field
 * does not compile.
 */
export type MessageSchema<M extends { type: string }> = {
  readonly [T in M['type']]: FieldsOf<Extract<M, { type: T }>>
}

function frozen<S extends object> (schema: S): S {
  for (const fields of Object.values(schema)) Object.freeze(fields)
  return Object.freeze(schema)
}

/** The messages a client sends, as `decodeClientMessage` checks them. Unknown extra fields are allowed. */
// Pure: a bundle that never checks client messages (the SDK in a browser) leaves this table out.
export const CLIENT_FIELDS: MessageSchema<ClientMessage> = /* @__PURE__ */ frozen<MessageSchema<ClientMessage>>({
  hello: { v: 'uint', req: 'uint', username: 'string', password: 'string?', register: 'bool?', resume: 'string?', accept: 'strings?' },
  join: { req: 'uint', room: 'string' },
  leave: { req: 'uint', room: 'string' },
  send: { req: 'uint', room: 'string', text: 'string', key: 'string?' },
  dm: { req: 'uint', to: 'string', text: 'string', key: 'string?' },
  rooms: { req: 'uint' },
  members: { req: 'uint', room: 'string' },
  history: { req: 'uint', room: 'string?', with: 'string?', before: 'uint?', after: 'uint?', limit: 'uint?' },
  replay: { req: 'uint', room: 'string', after: 'uint' },
  typing: { req: 'uint', room: 'string?', to: 'string?', active: 'bool' },
  read: { req: 'uint', room: 'string?', with: 'string?', id: 'uint' },
  unread: { req: 'uint', room: 'string?', with: 'string?' },
  ping: { n: 'uint' },
  pong: { n: 'uint' },
  bye: { code: 'string?', message: 'string?' }
})

/** The messages a server sends, as `decodeServerMessage` checks them. Unknown extra fields are allowed. */
export const SERVER_FIELDS: MessageSchema<ServerMessage> = /* @__PURE__ */ frozen<MessageSchema<ServerMessage>>({
  welcome: {
    v: 'uint', re: 'uint', username: 'string', heartbeatIntervalMs: 'uint',
    heartbeatTimeoutMs: 'uint', maxFrameBytes: 'uint', maxTextBytes: 'uint', registered: 'bool', session: 'string',
    messagesPerSecond: 'uint?', messageBurst: 'uint?', bytesPerSecond: 'uint?', byteBurst: 'uint?', requestsPerSecond: 'uint?', requestBurst: 'uint?'
  },
  joined: { re: 'uint', room: 'string', members: 'strings', lastId: 'uint', truncated: 'bool?', read: 'uint?', unread: 'uint?' },
  left: { re: 'uint', room: 'string' },
  ack: { re: 'uint', id: 'uint', ts: 'uint', stored: 'bool?' },
  room_list: { re: 'uint', rooms: 'rooms', truncated: 'bool?' },
  member_list: { re: 'uint', room: 'string', members: 'strings', truncated: 'bool?' },
  msg: { id: 'uint', room: 'string?', to: 'string?', from: 'string', text: 'string', ts: 'uint', replay: 'uint?' },
  msgs: { room: 'string', id: 'uint', rows: 'rows' },
  history_page: { re: 'uint', messages: 'messages', more: 'bool', gone: 'bool?' },
  replay_done: { re: 'uint', room: 'string', lastId: 'uint' },
  ok: { re: 'uint' },
  marker: { re: 'uint', room: 'string?', with: 'string?', read: 'uint', unread: 'uint', lastId: 'uint' },
  typing: { room: 'string?', to: 'string?', user: 'string', active: 'bool' },
  read: { room: 'string?', with: 'string?', user: 'string', id: 'uint' },
  presence: { event: 'string', room: 'string', user: 'string', reason: 'string?' },
  error: { re: 'uint?', code: 'string', message: 'string', fatal: 'bool?', retryAfterMs: 'uint?' },
  ping: { n: 'uint' },
  pong: { n: 'uint' },
  bye: { code: 'string?', message: 'string?' }
})
