/**
 * Stable error codes. They appear on the wire (in `error` frames) and on every
 * error the SDK and server throw, so apps can branch on them.
 */
export const ErrorCodes = {
  // Framing: the byte stream can't be trusted any more, so the connection closes.
  FRAME_TOO_LARGE: 'frame_too_large',
  MALFORMED_FRAME: 'malformed_frame',
  INVALID_UTF8: 'invalid_utf8',
  // Message shape: the frame was fine, the request is refused, the connection carries on.
  INVALID_MESSAGE: 'invalid_message',
  UNKNOWN_TYPE: 'unknown_type',
  // Session
  UNSUPPORTED_VERSION: 'unsupported_version',
  NOT_LOGGED_IN: 'not_logged_in',
  ALREADY_LOGGED_IN: 'already_logged_in',
  NAME_TAKEN: 'name_taken',
  INVALID_NAME: 'invalid_name',
  // Routing
  USER_OFFLINE: 'user_offline',
  NOT_MEMBER: 'not_member',
  NO_SUCH_ROOM: 'no_such_room',
  MESSAGE_TOO_LONG: 'message_too_long',
  NO_SUCH_USER: 'no_such_user',
  HISTORY_GONE: 'history_gone',
  // Accounts
  AUTH_FAILED: 'auth_failed',
  WEAK_PASSWORD: 'weak_password',
  REGISTRATION_CLOSED: 'registration_closed',
  /** A request only a registered user may make (`read`, `unread`: markers are kept per account). */
  REGISTRATION_REQUIRED: 'registration_required',
  STORAGE_ERROR: 'storage_error',
  // Limits: a request refused for now (retry after `retryAfterMs`), or a connection refused or ended
  RATE_LIMITED: 'rate_limited',
  TOO_MANY_CONNECTIONS: 'too_many_connections',
  LOGIN_TIMEOUT: 'login_timeout',
  // Connection ends
  SLOW_CONSUMER: 'slow_consumer',
  HEARTBEAT_TIMEOUT: 'heartbeat_timeout',
  SERVER_SHUTDOWN: 'server_shutdown',
  SESSION_REPLACED: 'session_replaced',
  INTERNAL_ERROR: 'internal_error',
  // Local to an endpoint, never sent by a server
  CONNECTION_CLOSED: 'connection_closed',
  CONNECT_FAILED: 'connect_failed',
  ABORTED: 'aborted',
  OUTBOUND_FULL: 'outbound_full',
  RECONNECT_FAILED: 'reconnect_failed',
  TIMEOUT: 'timeout'
} as const

export type ErrorCode = typeof ErrorCodes[keyof typeof ErrorCodes]

/** Codes after which the byte stream can't be trusted: the peer sends an error frame and closes. */
export const FATAL_CODES: ReadonlySet<string> = new Set([
  ErrorCodes.FRAME_TOO_LARGE,
  ErrorCodes.MALFORMED_FRAME,
  ErrorCodes.INVALID_UTF8,
  ErrorCodes.UNSUPPORTED_VERSION
])

/**
 * Anything received that is not a valid frame or a valid message.
 * `req` is the request id of the offending message when it could be read,
 * so the error reply can reference it.
 */
export class ProtocolError extends Error {
  override name = 'ProtocolError'
  readonly code: ErrorCode
  // `declare`: no own property unless a request id was read.
  declare readonly req?: number

  constructor (code: ErrorCode, message: string, req?: number) {
    super(message)
    this.code = code
    if (req !== undefined) (this as { req?: number }).req = req
  }

  /** True when the stream can't continue after this error. */
  get fatal (): boolean {
    return FATAL_CODES.has(this.code)
  }
}
