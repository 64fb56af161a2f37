import type { ChatMessage, LeaveReason } from '@chat/protocol'

/** A presence change in a room the client is in. */
export interface PresenceEvent {
  type: 'join' | 'leave'
  room: string
  user: string
  /** For leaves: left the room, quit cleanly, or was disconnected. */
  reason?: LeaveReason
}

/** What the server told us about itself at login. */
export interface ServerInfo {
  readonly version: number
  readonly heartbeatIntervalMs: number
  readonly heartbeatTimeoutMs: number
  readonly maxFrameBytes: number
  readonly maxTextBytes: number
}

export interface SendAck {
  id: number
  ts: number
  /** A direct message to a registered user who is offline: kept for their next login. */
  stored?: boolean
}

/** A page of stored messages, oldest first. */
export interface HistoryPage {
  messages: ChatMessage[]
  /** Pass as options to `history()` for the next page (older, or with `after` newer); absent at the end. */
  next?: { before: number } | { after: number }
  /** Older messages existed but were removed by the server's retention. */
  gone?: boolean
}

export interface JoinResult {
  room: string
  members: string[]
  /**
   * True when `members` is not the whole room: it had more than fit in one
   * reply, or more than the server's presence limit (then `members` is empty:
   * a big room announces no joins or leaves; ask `members(room)`).
   */
  truncated?: boolean
}
