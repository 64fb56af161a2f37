export { ErrorCodes, FATAL_CODES, ProtocolError } from './errors.js'
export type { ErrorCode } from './errors.js'
export {
  PROTOCOL_VERSION, DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_TEXT_BYTES, MAX_LENGTH_PREFIX_BYTES, MAX_RUN_BYTES,
  WEBSOCKET_PATH, maxWebSocketMessageBytes,
  USERNAME_PATTERN, ROOM_PATTERN, isValidUsername, isValidRoomName
} from './limits.js'
export type * from './messages.js'
export { validateClientMessage, validateServerMessage } from './validate.js'
export { CLIENT_FIELDS, SERVER_FIELDS } from './schema.js'
export type { FieldKind, FieldSpec, MessageSchema } from './schema.js'
export { encodeFrame, frameBytes } from './frame-encoder.js'
export { FrameDecoder } from './frame-decoder.js'
export type { FrameVisitor } from './frame-decoder.js'
export * as lp from './length-prefixed.js'
export type { LengthPrefixedOptions } from './length-prefixed.js'
export { decodeClientMessage, decodeServerMessage } from './message-codec.js'
export { decodeStage } from './decode-stage.js'
export type { BodyDecoder, DecodedBatch, DecodeStageOptions } from './decode-stage.js'
export { idempotencyKeys } from './idempotency-keys.js'
export { messagesOfRun } from './message-runs.js'
