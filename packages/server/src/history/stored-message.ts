import type { ChatMessage } from '@chat/protocol'
import type { StoredMessage } from '../store/store.js'

/** A stored message as the wire carries it; `replay` tags it as an answer to that replay request. */
export function toChatMessage (stored: StoredMessage, replay?: number): ChatMessage {
  const message: ChatMessage = { type: 'msg', id: stored.id, from: stored.from, text: stored.text, ts: stored.ts }
  if (stored.room !== undefined) message.room = stored.room
  if (stored.to !== undefined) message.to = stored.to
  if (replay !== undefined) message.replay = replay
  return message
}
