/**
 * `@chat/protocol/fast`: the reference implementations' hot-path writers and
 * readers. Each gives the same result as the general path in the main export
 * (`encodeFrame`, `decodeClientMessage`, `decodeServerMessage`, `decodeStage`),
 * property-tested against it, for the frames that carry most of the traffic.
 * Apps and other implementations need none of it.
 */
export { frameJson, frameLatin1 } from './frame-encoder.js'
export { readMsg, readSend } from './plain-frames.js'
export { readAckBytes } from './plain-acks.js'
export { frameRequest } from './plain-writers.js'
export type { SendInPlace } from './plain-frames.js'
export { decodeClientChunkInPlace, decodeClientMessageInPlace } from './message-codec.js'
export { decodeChunk } from './decode-stage.js'
export type { DecodedChunk } from './decode-stage.js'
export { varintLength, writeVarint } from './varint.js'
