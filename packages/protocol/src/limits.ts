/** Protocol version spoken by this package; sent in `hello` and `welcome`. */
export const PROTOCOL_VERSION = 1

/** Largest frame body either side accepts unless configured otherwise (64 KiB). */
export const DEFAULT_MAX_FRAME_BYTES = 64 * 1024

/** Largest message text, in UTF-8 bytes, unless the server is configured otherwise. */
export const DEFAULT_MAX_TEXT_BYTES = 16 * 1024

/**
 * Largest body of a `msgs` run that holds more than one message (PROTOCOL.md
 * §10), or the server's `maxFrameBytes` if lower: a client whose frame limit
 * is below it does not accept runs.
 */
export const MAX_RUN_BYTES = 32 * 1024

/** A varint for a length up to 2^35 fits in 5 bytes; anything longer is not a length we accept. */
export const MAX_LENGTH_PREFIX_BYTES = 5

/** The HTTP path of the WebSocket endpoint. */
export const WEBSOCKET_PATH = '/ws'

/**
 * Largest WebSocket message a receiver with this `maxFrameBytes` accepts:
 * two whole frames with the longest prefixes, and never less than 64 KiB,
 * so a sender that coalesces frames into messages of up to 64 KiB, or sends
 * a longer frame alone, always fits. 131 082 bytes for the default 65 536.
 */
export function maxWebSocketMessageBytes (maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): number {
  return Math.max(64 * 1024, 2 * (maxFrameBytes + MAX_LENGTH_PREFIX_BYTES))
}

/** Usernames: 1–32 of letters, digits, `_`, `-`, `.`; not starting with `.` or `-`. Unique case-insensitively. */
export const USERNAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}$/

/** Room names: 1–64 of lowercase letters, digits, `_`, `-`, `.`; not starting with `.` or `-`. */
export const ROOM_PATTERN = /^[a-z0-9_][a-z0-9_.-]{0,63}$/

export function isValidUsername (name: unknown): boolean {
  return typeof name === 'string' && USERNAME_PATTERN.test(name)
}

export function isValidRoomName (name: unknown): boolean {
  return typeof name === 'string' && ROOM_PATTERN.test(name)
}
