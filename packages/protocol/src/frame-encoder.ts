import type { Uint8ArrayList } from 'uint8arraylist'
import { ErrorCodes, ProtocolError } from './errors.js'
import { DEFAULT_MAX_FRAME_BYTES } from './limits.js'
import type { Message } from './messages.js'
import { varintLength, writeVarint } from './varint.js'

const textEncoder = new TextEncoder()

/** Prefixes a body with its unsigned-varint length, in one buffer (one write on the wire). */
export function frameBytes (body: Uint8Array | Uint8ArrayList, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Uint8Array {
  if (body.byteLength > maxFrameBytes) {
    throw new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, `frame of ${body.byteLength} bytes exceeds the limit of ${maxFrameBytes}`)
  }
  const prefixLength = varintLength(body.byteLength)
  const frame = new Uint8Array(prefixLength + body.byteLength)
  writeVarint(frame, 0, body.byteLength)
  if (body instanceof Uint8Array) {
    frame.set(body, prefixLength)
  } else {
    // Part by part: joining the list first would copy the body twice.
    let offset = prefixLength
    for (const part of body) { frame.set(part, offset); offset += part.byteLength }
  }
  return frame
}

/** Node's Buffer, where there is one: it writes the JSON text straight into the frame (one allocation, no copy). */
const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer

/**
 * Encodes a message as one complete frame. Fan-out calls this once and hands
 * the same bytes to every recipient. The sender fails first: a message whose
 * frame would exceed `maxFrameBytes` throws `frame_too_large` here.
 */
export function encodeFrame (message: Message, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Uint8Array {
  return frameJson(JSON.stringify(message), maxFrameBytes)
}

/** Frames a message already serialised as JSON (hot paths build small replies as strings). */
export function frameJson (json: string, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): Uint8Array {
  if (NodeBuffer === undefined) return frameBytes(textEncoder.encode(json), maxFrameBytes)
  const bodyLength = NodeBuffer.byteLength(json, 'utf8')
  if (bodyLength > maxFrameBytes) {
    throw new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, `frame of ${bodyLength} bytes exceeds the limit of ${maxFrameBytes}`)
  }
  const prefixLength = varintLength(bodyLength)
  // allocUnsafe: every byte is written just below; small frames come from Node's shared pool.
  const frame = NodeBuffer.allocUnsafe(prefixLength + bodyLength)
  writeVarint(frame, 0, bodyLength)
  frame.write(json, prefixLength, 'utf8')
  return frame
}

/**
 * A frame of ASCII JSON as a latin1 string, one character per byte (the
 * varint prefix's bytes are below 256 too): frames built this way can be
 * joined as strings and turned into bytes once, with one `Buffer.from(s,
 * 'latin1')` for many frames. Throws `frame_too_large` past the limit.
 */
export function frameLatin1 (json: string, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): string {
  const length = json.length
  if (length > maxFrameBytes) {
    throw new ProtocolError(ErrorCodes.FRAME_TOO_LARGE, `frame of ${length} bytes exceeds the limit of ${maxFrameBytes}`)
  }
  let prefix = ''
  let rest = length
  while (rest >= 0x80) {
    prefix += String.fromCharCode((rest & 0x7f) | 0x80)
    rest = Math.floor(rest / 0x80)
  }
  return prefix + String.fromCharCode(rest) + json
}
