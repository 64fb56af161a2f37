import { frameJson, frameLatin1 } from '@chat/protocol/fast'

/** Where a message goes: a room, or (a direct message) a user. */
export type MessageAddress = 'room' | 'to'

/** Printable ASCII without a quote or a backslash (DEL included: JSON leaves it raw). */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7f]*$/

/** True if `text` is all ASCII with nothing to escape: its byte length is its length, its JSON is `"${text}"`. */
function isPlainAscii (text: string): boolean {
  return PLAIN_ASCII.test(text)
}

/**
 * A `msg` frame built from a template, the same bytes `encodeFrame` makes
 * from a ChatMessage (same fields, same order). Ids and timestamps are
 * numbers, and room and user names are checked names with nothing to
 * escape. A plain ASCII text (`isPlainAscii`) goes in as it is and the
 * frame is a latin1 string (see `frameLatin1`: frames of a commit are
 * joined before they become bytes); any other text goes through
 * JSON.stringify, and gives bytes unless it is ASCII. `textBytes` is the
 * text's UTF-8 length. Throws `frame_too_large` past `maxFrameBytes`.
 */
export function messageFrame (
  id: number, where: MessageAddress, name: string, from: string, text: string, textBytes: number, ts: number, maxFrameBytes: number
): string | Uint8Array {
  const head = `{"type":"msg","id":${id},"${where}":"${name}","from":"${from}","text":`
  const tail = `,"ts":${ts}}`
  // JSON.stringify of a 64-character text costs more than the rest of the frame: skip it when it changes nothing.
  const ascii = textBytes === text.length
  if (ascii && isPlainAscii(text)) return frameLatin1(`${head}"${text}"${tail}`, maxFrameBytes)
  const json = `${head}${JSON.stringify(text)}${tail}`
  return ascii ? frameLatin1(json, maxFrameBytes) : frameJson(json, maxFrameBytes)
}
