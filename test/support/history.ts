import assert from 'node:assert/strict'
import type { ChatClient, ChatMessage, HistoryPage } from '@chat/client'
import { within } from '@chat/testing'

/** Every stored message of a room from the start, paging forward with `after`; checks that pages don't overlap. */
export async function readAllHistory (client: ChatClient, room: string, limit = 500): Promise<ChatMessage[]> {
  const messages: ChatMessage[] = []
  let after: number | undefined = 0
  for (let pages = 0; after !== undefined; pages++) {
    assert.ok(pages < 100_000, 'paging ends')
    const page: HistoryPage = await within(client.history(room, { after, limit }), `a history page of ${room} after ${after}`)
    if (page.messages.length > 0) assert.ok(page.messages[0].id > after, `the page after ${after} starts at ${page.messages[0].id}`)
    messages.push(...page.messages)
    const next = page.next
    assert.ok(next === undefined || 'after' in next, 'a forward page continues forward')
    after = next === undefined ? undefined : (next as { after: number }).after
  }
  return messages
}

/** Asserts the ids are from, from+1, ... with no gap and no repeat, failing at the first one out of place. */
export function assertConsecutive (messages: ReadonlyArray<{ id: number }>, from: number, what: string): void {
  for (let i = 0; i < messages.length; i++) {
    if (messages[i].id !== from + i) {
      assert.fail(`${what}: item ${i} has id ${messages[i].id}, expected ${from + i} (previous ${messages[i - 1]?.id}, next ${messages[i + 1]?.id})`)
    }
  }
}

/** Asserts no text occurs twice; returns a map text -> message. */
export function byText (messages: readonly ChatMessage[], what: string): Map<string, ChatMessage> {
  const map = new Map<string, ChatMessage>()
  for (const m of messages) {
    const earlier = map.get(m.text)
    if (earlier !== undefined) assert.fail(`${what}: ${JSON.stringify(m.text)} appears twice (ids ${earlier.id} and ${m.id})`)
    map.set(m.text, m)
  }
  return map
}
