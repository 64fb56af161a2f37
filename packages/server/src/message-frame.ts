import { frameAscii, frameJson } from '@chat/protocol'

/** Where a message goes: a room, or (a direct message) a user. */
export type MessageAddress = 'room' | 'to'

/**
 * A `msg` frame built from a template, the same bytes `encodeFrame` makes
 * from a ChatMessage (same fields, same order). Ids and timestamps are
 * numbers, and room and user names are checked names with nothing to
 * escape, so only the text goes through JSON.stringify; a text with only
 * ASCII characters skips UTF-8 encoding (`textBytes` says which: it equals
 * the text's length then). Throws `frame_too_large` past `maxFrameBytes`.
 */
export function messageFrame (
  id: number, where: MessageAddress, name: string, from: string, text: string, textBytes: number, ts: number, maxFrameBytes: number
): Uint8Array {
  const json = `{"type":"msg","id":${id},"${where}":"${name}","from":"${from}","text":${JSON.stringify(text)},"ts":${ts}}`
  return textBytes === text.length ? frameAscii(json, maxFrameBytes) : frameJson(json, maxFrameBytes)
}
