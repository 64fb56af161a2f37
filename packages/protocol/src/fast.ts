/**
 * `@chat/protocol/fast`: the hot-path readers and writers the reference
 * server and SDK use. Each gives the same result as the general path in the
 * main export (`decodeClientMessage`, `decodeServerMessage`, `encodeFrame`),
 * property-tested against it, for the frames that carry most of the traffic.
 * Apps and other implementations need none of it.
 */
export { frameJson, frameLatin1 } from './frame-encoder.js'
export { readMsg, readMsgAscii, readSend, readSendAscii } from './plain-frames.js'
export { decodeChunk } from './decode-stage.js'
export type { DecodedChunk, BodyDecoder } from './decode-stage.js'
export type { FrameVisitor } from './frame-decoder.js'
