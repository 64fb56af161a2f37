import type { InboxEntry, StoredMessage, StreamKey } from '../store/store.js'

/** A stream entry as ioredis gives it: `[id, [field, value, ...]]`. */
export type RawEntry = [string, string[]]

/** The number before `-0` of an entry id. */
export function entryNumber (entryId: string): number {
  return Number(entryId.slice(0, entryId.indexOf('-')))
}

function fieldsOf (raw: string[]): Map<string, string> {
  const fields = new Map<string, string>()
  for (let i = 0; i + 1 < raw.length; i += 2) fields.set(raw[i], raw[i + 1])
  return fields
}

function message (stream: StreamKey, id: number, fields: Map<string, string>): StoredMessage {
  const m: StoredMessage = { stream, id, from: fields.get('f') ?? '', text: fields.get('t') ?? '', ts: Number(fields.get('ts')) }
  const room = fields.get('r')
  if (room !== undefined) m.room = room
  const to = fields.get('to')
  if (to !== undefined) m.to = to
  return m
}

/** A message of `P s:<stream>` (fields `f`, `t`, `ts`, `r` or `to`). */
export function toMessage (stream: StreamKey, [entryId, raw]: RawEntry): StoredMessage {
  return message(stream, entryNumber(entryId), fieldsOf(raw))
}

/** An entry of `P i:<userKey>` (a copy of the message, with its stream `s` and id `i`). */
export function toInboxEntry ([entryId, raw]: RawEntry): InboxEntry {
  const fields = fieldsOf(raw)
  return { seq: entryNumber(entryId), message: message(fields.get('s') ?? '', Number(fields.get('i')), fields) }
}
