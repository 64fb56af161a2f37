import type { Uint8ArrayList } from 'uint8arraylist'
import { ErrorCodes, ProtocolError } from './errors.js'
import type { ClientMessage, ServerMessage } from './messages.js'
import { readMsg, readSend } from './plain-frames.js'
import { validateClientMessage, validateServerMessage } from './validate.js'

// fatal: invalid UTF-8 is refused instead of being replaced with U+FFFD.
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Frame body -> its text, or a fatal ProtocolError. */
function decodeText (body: Uint8Array | Uint8ArrayList): string {
  // A body inside one chunk is decoded in place; one spanning chunks is joined once.
  const bytes = body instanceof Uint8Array ? body : body.subarray()
  try {
    return utf8.decode(bytes)
  } catch {
    throw new ProtocolError(ErrorCodes.INVALID_UTF8, 'frame body is not valid UTF-8')
  }
}

function parseJson (text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new ProtocolError(ErrorCodes.MALFORMED_FRAME, 'frame body is not valid JSON')
  }
}

/** Frame body -> parsed JSON value, or a fatal ProtocolError. */
export function parseBody (body: Uint8Array | Uint8ArrayList): unknown {
  return parseJson(decodeText(body))
}

/** Decodes one frame body sent by a client (used by servers). Sends, most of the traffic, take a fast path. */
export function decodeClientMessage (body: Uint8Array | Uint8ArrayList): ClientMessage {
  const text = decodeText(body)
  return readSend(text) ?? validateClientMessage(parseJson(text))
}

/** Decodes one frame body sent by a server (used by clients). Live messages, most of the traffic, take a fast path. */
export function decodeServerMessage (body: Uint8Array | Uint8ArrayList): ServerMessage {
  const text = decodeText(body)
  return readMsg(text) ?? validateServerMessage(parseJson(text))
}
