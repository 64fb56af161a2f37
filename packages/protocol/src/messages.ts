/**
 * Every message of protocol version 1. `req` is a request id chosen by the
 * client; the server's reply to that request carries it back as `re`.
 * PROTOCOL.md is the normative description of these shapes.
 */

// ---- client -> server ----

export interface HelloMessage {
  type: 'hello'
  v: number
  req: number
  username: string
  /** Required for a registered name; with `register`, the new account's password. */
  password?: string
  /** Create an account for `username` with `password`, then log in. */
  register?: boolean
  /**
   * The `session` token of an earlier connection of this user: if that
   * connection is still logged in (the server has not noticed it died), it
   * is closed with `session_replaced` and this one takes its place.
   */
  resume?: string
  /**
   * Server message types beyond the plain ones this client reads
   * (PROTOCOL.md §4): `"msgs"` for runs of room messages. Unknown names are ignored.
   */
  accept?: string[]
}
export interface JoinMessage { type: 'join', req: number, room: string }
export interface LeaveMessage { type: 'leave', req: number, room: string }
/**
 * `key`: an idempotency key chosen by the client (unique per message; best
 * in order, as `idempotencyKeys()` makes them). A send whose key the server
 * already stored for this user is not stored again: the reply is the
 * original message's ack.
 */
export interface SendMessage { type: 'send', req: number, room: string, text: string, key?: string }
export interface DirectMessage { type: 'dm', req: number, to: string, text: string, key?: string }
export interface ListRoomsMessage { type: 'rooms', req: number }
export interface ListMembersMessage { type: 'members', req: number, room: string }

/**
 * A page of stored messages, oldest first: of a room you are in (`room`) or
 * of your direct conversation with a user (`with`). With `after`, the oldest
 * messages after that id; otherwise the newest before `before` (or of all).
 */
export interface HistoryRequest {
  type: 'history'
  req: number
  room?: string
  with?: string
  before?: number
  after?: number
  /** Default 50, at most 500. */
  limit?: number
}

/**
 * Replays a room's stored messages after `after` as `msg` frames tagged
 * `replay: req`, then answers `replay_done`; the live messages after
 * `lastId` follow it. Refused with `history_gone` if some were removed.
 */
export interface ReplayRequest { type: 'replay', req: number, room: string, after: number }

/**
 * Says you are typing (`active: true`, repeated at least every few seconds
 * while it lasts) or stopped, in a room you are in (`room`) or to a user
 * (`to`): exactly one of them. Answered `ok`; nothing is stored. PROTOCOL.md §17.
 */
export interface TypingRequest { type: 'typing', req: number, room?: string, to?: string, active: boolean }

/**
 * Moves your read marker (registered users) of a room you are in (`room`) or
 * of your conversation with a user (`with`) to `id`: it never moves
 * backwards, nor past the stream's newest id. Answered `marker`.
 */
export interface ReadRequest { type: 'read', req: number, room?: string, with?: string, id: number }

/** Asks for your read marker and unread count of a room or conversation. Answered `marker`. */
export interface UnreadRequest { type: 'unread', req: number, room?: string, with?: string }

/** Either side may ping; the other answers with a pong carrying the same `n`. */
export interface PingMessage { type: 'ping', n: number }
export interface PongMessage { type: 'pong', n: number }

/** A clean goodbye. From the server it may carry why (`server_shutdown`). */
export interface ByeMessage { type: 'bye', code?: string, message?: string }

export type ClientMessage =
  | HelloMessage | JoinMessage | LeaveMessage | SendMessage | DirectMessage
  | ListRoomsMessage | ListMembersMessage | HistoryRequest | ReplayRequest | TypingRequest | ReadRequest | UnreadRequest
  | PingMessage | PongMessage | ByeMessage

/** Client messages that expect exactly one reply (carrying `re`). */
export type ClientRequest = Extract<ClientMessage, { req: number }>

// ---- server -> client ----

export interface WelcomeMessage {
  type: 'welcome'
  v: number
  re: number
  username: string
  heartbeatIntervalMs: number
  heartbeatTimeoutMs: number
  maxFrameBytes: number
  maxTextBytes: number
  /** True when logged in to a registered account (false: a guest name, free again after logout). */
  registered: boolean
  /** Token to put in a later `hello` as `resume`, to replace this connection if it is still open. */
  session: string
  /**
   * The connection's rate limits (PROTOCOL.md §13), each absent when off:
   * `send` and `dm` per second, and the burst after a quiet while; bytes sent
   * per second (all frames), and their burst; `history`, `replay`, `rooms`
   * and `members` per second, and their burst.
   */
  messagesPerSecond?: number
  messageBurst?: number
  bytesPerSecond?: number
  byteBurst?: number
  requestsPerSecond?: number
  requestBurst?: number
}
/** List replies hold at most one frame: `truncated` says entries were left out to fit. */
/**
 * `lastId`: the room's newest stored message id when you joined; every message after it reaches you.
 * `read` and `unread`: a registered user's read marker of the room and the messages after it (§17).
 */
export interface JoinedMessage { type: 'joined', re: number, room: string, members: string[], lastId: number, truncated?: boolean, read?: number, unread?: number }
export interface LeftMessage { type: 'left', re: number, room: string }
/** `stored`: the recipient of a direct message is offline and gets it at their next login. */
export interface AckMessage { type: 'ack', re: number, id: number, ts: number, stored?: boolean }
export interface RoomInfo { room: string, members: number }
export interface RoomListMessage { type: 'room_list', re: number, rooms: RoomInfo[], truncated?: boolean }
export interface MemberListMessage { type: 'member_list', re: number, room: string, members: string[], truncated?: boolean }

/** A chat message: to a room (`room` set) or a direct message (`to` set). */
export interface ChatMessage {
  type: 'msg'
  id: number
  room?: string
  to?: string
  from: string
  text: string
  ts: number
  /** Set on stored messages sent in answer to a `replay` request: that request's `req`. */
  replay?: number
}

/** A room message in a `msgs` run: its sender, its text, and its timestamp unless it is the row before's. */
export type MessageRow = [from: string, text: string, ts?: number]

/**
 * Consecutive live messages of one room in one frame (PROTOCOL.md §10): row
 * `i` is the message with id `id + i`. Sent instead of their `msg` frames to
 * a client whose hello accepted `"msgs"`.
 */
export interface MessageRunMessage { type: 'msgs', room: string, id: number, rows: MessageRow[] }

/** A page of history. `more`: older (or, with `after`, newer) messages exist. `gone`: older ones were removed by retention. */
export interface HistoryPageMessage { type: 'history_page', re: number, messages: ChatMessage[], more: boolean, gone?: boolean }

/** The end of a replay: live messages with ids above `lastId` follow. */
export interface ReplayDoneMessage { type: 'replay_done', re: number, room: string, lastId: number }

/** The reply to a request that has nothing else to say (`typing`). */
export interface OkMessage { type: 'ok', re: number }

/**
 * A read marker, in reply to `read` or `unread`: the newest id `read` in the
 * room (`room`) or conversation (`with`), the stream's newest id `lastId`,
 * and `unread`, the messages after the marker (`lastId - read`).
 */
export interface MarkerMessage { type: 'marker', re: number, room?: string, with?: string, read: number, unread: number, lastId: number }

/**
 * Someone is typing (`active: true`) or stopped, in a room you are in
 * (`room`) or to you (`to`: your name). Not stored; an `active: true` not
 * refreshed ends by itself (the server sends `active: false`).
 */
export interface TypingEvent { type: 'typing', room?: string, to?: string, user: string, active: boolean }

/**
 * A read marker moved: `user` has read up to `id` in a room (`room`) or in
 * their conversation with `with`. Sent to the user's other connections, and
 * as a receipt to the other members of a room with receipts on.
 */
export interface ReadEvent { type: 'read', room?: string, with?: string, user: string, id: number }

export type PresenceEvent = 'join' | 'leave'
export type LeaveReason = 'left' | 'quit' | 'disconnected'
export interface PresenceMessage {
  type: 'presence'
  event: PresenceEvent
  room: string
  user: string
  reason?: LeaveReason
}

export interface ErrorMessage {
  type: 'error'
  re?: number
  code: string
  message: string
  fatal?: boolean
  /** With `rate_limited`: how long to wait before sending the request again (ms). */
  retryAfterMs?: number
}

export type ServerReply =
  | WelcomeMessage | JoinedMessage | LeftMessage | AckMessage | RoomListMessage | MemberListMessage
  | HistoryPageMessage | ReplayDoneMessage | OkMessage | MarkerMessage

export type ServerMessage =
  | ServerReply | ChatMessage | MessageRunMessage | PresenceMessage | TypingEvent | ReadEvent | ErrorMessage | PingMessage | PongMessage | ByeMessage

export type Message = ClientMessage | ServerMessage
