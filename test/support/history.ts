import assert from 'node:assert/strict'
import type { ChatClient, ChatMessage, HistoryPage } from '@chat/client'
import { within } from '@chat/testing'

/** Every stored message of a room from the start, paging forward with `after`; checks that pages don't overlap. */
export async function readAllHistory (client: ChatClient, room: string, limit = 500): Promise<ChatMessage[]> {
  return (await readAllForward(client, room, limit)).messages
}

/** `readAllHistory`, with the pages as they came. */
export async function readAllForward (client: ChatClient, room: string, limit = 500): Promise<{ messages: ChatMessage[], pages: HistoryPage[] }> {
  const messages: ChatMessage[] = []
  const pages: HistoryPage[] = []
  let after: number | undefined = 0
  while (after !== undefined) {
    assert.ok(pages.length < 100_000, 'paging ends')
    const page: HistoryPage = await within(client.history(room, { after, limit }), `a history page of ${room} after ${after}`)
    pages.push(page)
    if (page.messages.length > 0) assert.ok(page.messages[0].id > after, `the page after ${after} starts at ${page.messages[0].id}`)
    messages.push(...page.messages)
    const next = page.next
    assert.ok(next === undefined || 'after' in next, 'a forward page continues forward')
    after = next === undefined ? undefined : (next as { after: number }).after
  }
  return { messages, pages }
}

/** Every stored message of a room or conversation, paging backward from the newest with `before`; checks that pages don't overlap. */
export async function readAllBackward (client: ChatClient, of: string | { with: string }, limit: number): Promise<{ messages: ChatMessage[], pages: HistoryPage[] }> {
  const messages: ChatMessage[] = []
  const pages: HistoryPage[] = []
  let options: { before?: number } | undefined = {}
  while (options !== undefined) {
    assert.ok(pages.length < 100_000, 'paging ends')
    const page: HistoryPage = await within(client.history(of, { ...options, limit }), `a history page before ${options.before ?? 'the newest'}`)
    pages.push(page)
    const last = page.messages.at(-1)
    if (options.before !== undefined && last !== undefined) assert.ok(last.id < options.before, `page before ${options.before} ends at ${last.id}`)
    messages.unshift(...page.messages)
    const next = page.next
    assert.ok(next === undefined || 'before' in next, 'a backward page continues backward')
    options = next as { before: number } | undefined
  }
  return { messages, pages }
}

/** Asserts the ids are from, from+1, ... with no gap and no repeat, failing at the first one out of place. */
export function assertConsecutive (messages: ReadonlyArray<{ id: number }>, from: number, what: string): void {
  for (let i = 0; i < messages.length; i++) {
    if (messages[i].id !== from + i) {
      assert.fail(`${what}: item ${i} has id ${messages[i].id}, expected ${from + i} (previous ${messages[i - 1]?.id}, next ${messages[i + 1]?.id})`)
    }
  }
}

/** Asserts the ids are exactly from..to (not with a huge diff). */
export function assertIds (messages: ReadonlyArray<{ id: number }>, from: number, to: number, what: string): void {
  assertConsecutive(messages, from, what)
  assert.equal(messages.length, to - from + 1, `${what}: ${messages.length} messages, expected ids ${from}..${to}`)
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
