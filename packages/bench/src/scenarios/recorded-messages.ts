import type { ChatMessage } from '@chat/protocol'

/** The `sdk` scenario's prerecorded messages (and the machine's pace's): 64-byte texts, ids from 1. */
export function recordedMessage (id: number): ChatMessage {
  return { type: 'msg', id, room: 'general', from: 'bob', text: 'x'.repeat(64), ts: 1_795_960_000_000 + id }
}

/** Messages 1..count as JSON bodies, one buffer each: what the bare loop decodes. */
export function jsonBodies (count: number): Uint8Array[] {
  const bodies: Uint8Array[] = []
  for (let id = 1; id <= count; id++) bodies.push(Buffer.from(JSON.stringify(recordedMessage(id))))
  return bodies
}

/**
 * The floor of any JSON client: bodies of messages 1..n turned from bytes
 * into objects (UTF-8 decode + JSON.parse) in a plain loop, with no framing,
 * checking or dispatch. Throws if it misread them (it was not doing the work).
 */
export function parseEach (bodies: readonly Uint8Array[]): void {
  const utf8 = new TextDecoder('utf-8', { fatal: true })
  let idSum = 0
  for (const body of bodies) idSum += (JSON.parse(utf8.decode(body)) as ChatMessage).id
  if (idSum !== bodies.length * (bodies.length + 1) / 2) throw new Error('the bare JSON.parse loop misread its bodies')
}
