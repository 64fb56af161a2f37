/**
 * Every message of protocol version 1. `req` is a request id chosen by the
 * client; the server's reply to that request carries it back as `re`.
 * PROTOCOL.md is the normative description of these shapes.
 */

// ---- client -> server ----

export interface HelloMessage { type: 'hello', v: number, req: number, username: string }
export interface JoinMessage { type: 'join', req: number, room: string }
export interface LeaveMessage { type: 'leave', req: number, room: string }
export interface SendMessage { type: 'send', req: number, room: string, text: string }
export interface DirectMessage { type: 'dm', req: number, to: string, text: string }
export interface ListRoomsMessage { type: 'rooms', req: number }
export interface ListMembersMessage { type: 'members', req: number, room: string }

/** Either side may ping; the other answers with a pong carrying the same `n`. */
export interface PingMessage { type: 'ping', n: number }
export interface PongMessage { type: 'pong', n: number }

/** A clean goodbye. From the server it may carry why (`server_shutdown`). */
export interface ByeMessage { type: 'bye', code?: string, message?: string }

export type ClientMessage =
  | HelloMessage | JoinMessage | LeaveMessage | SendMessage | DirectMessage
  | ListRoomsMessage | ListMembersMessage | PingMessage | PongMessage | ByeMessage

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
}
/** List replies hold at most one frame: `truncated` says entries were left out to fit. */
export interface JoinedMessage { type: 'joined', re: number, room: string, members: string[], truncated?: boolean }
export interface LeftMessage { type: 'left', re: number, room: string }
export interface AckMessage { type: 'ack', re: number, id: number, ts: number }
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
}

export type PresenceEvent = 'join' | 'leave'
export type LeaveReason = 'left' | 'quit' | 'disconnected'
export interface PresenceMessage {
  type: 'presence'
  event: PresenceEvent
  room: string
  user: string
  reason?: LeaveReason
}

export interface ErrorMessage { type: 'error', re?: number, code: string, message: string, fatal?: boolean }

export type ServerReply =
  | WelcomeMessage | JoinedMessage | LeftMessage | AckMessage | RoomListMessage | MemberListMessage

export type ServerMessage =
  | ServerReply | ChatMessage | PresenceMessage | ErrorMessage | PingMessage | PongMessage | ByeMessage

export type Message = ClientMessage | ServerMessage
