import type { ChatMessage, MessageRunMessage } from './messages.js'

/**
 * The messages of a `msgs` run (PROTOCOL.md §10), in order, each exactly the
 * `msg` the server would have sent in its place: row `i` has id `id + i`, and
 * a row without a timestamp has the one of the row before it.
 */
export function messagesOfRun (run: MessageRunMessage): ChatMessage[] {
  const { room, id, rows } = run
  const messages = new Array<ChatMessage>(rows.length)
  let ts = 0
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]
    if (row.length > 2) ts = row[2]!
    messages[i] = { type: 'msg', id: id + i, room, from: row[0], text: row[1], ts }
  }
  return messages
}
