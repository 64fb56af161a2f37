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
  /** A registered user's read marker of the room: the newest id read (0: never marked). Absent for a guest, or a server without markers. */
  read?: number
  /** The room's messages after `read` (`lastId - read`). Present with `read`. */
  unread?: number
}

/** Someone typing (`active: true`) or stopped, in a room you are in (`room`) or to you (`to`: your name). */
export interface TypingEvent {
  type: 'typing'
  room?: string
  to?: string
  user: string
  active: boolean
}

/**
 * A read marker moved: `user` read up to `id` in a room (`room`) or in the
 * conversation with `with`. Your own (`user` is you): from your other
 * connections, or found moved when the client reconnected; someone else's:
 * a receipt, in a room where the server sends them.
 */
export interface ReadEvent {
  type: 'read'
  room?: string
  with?: string
  user: string
  id: number
}

/** What `events()` yields. */
export type ChatEvent = PresenceEvent | TypingEvent | ReadEvent

/** The events of the kinds `K` (`events({ types })`): `'join'` and `'leave'` are `PresenceEvent`s. */
export type ChatEventOf<K extends ChatEvent['type']> =
  K extends PresenceEvent['type'] ? PresenceEvent : K extends 'typing' ? TypingEvent : K extends 'read' ? ReadEvent : never

/** A read marker as the server keeps it: the newest id read, the stream's newest id, and the messages between. */
export interface ReadMarker {
  read: number
  unread: number
  lastId: number
}
