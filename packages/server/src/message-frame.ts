import { frameJson, frameLatin1 } from '@chat/protocol'

/** Where a message goes: a room, or (a direct message) a user. */
export type MessageAddress = 'room' | 'to'

/**
 * A `msg` frame built from a template, the same bytes `encodeFrame` makes
 * from a ChatMessage (same fields, same order). Ids and timestamps are
 * numbers, and room and user names are checked names with nothing to
 * escape, so only the text goes through JSON.stringify. A text with only
 * ASCII characters (`textBytes` equals its length then) gives a latin1
 * string (see `frameLatin1`: frames of a commit are joined before they
 * become bytes); any other text gives bytes. Throws `frame_too_large` past
 * `maxFrameBytes`.
 */
export function messageFrame (
  id: number, where: MessageAddress, name: string, from: string, text: string, textBytes: number, ts: number, maxFrameBytes: number
): string | Uint8Array {
  const json = `{"type":"msg","id":${id},"${where}":"${name}","from":"${from}","text":${JSON.stringify(text)},"ts":${ts}}`
  return textBytes === text.length ? frameLatin1(json, maxFrameBytes) : frameJson(json, maxFrameBytes)
}
