import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import type { ChatMessage, ConnectOptions } from '@chat/client'
import { collectMessages, StatusLog, waitUntil, within } from '@chat/testing'
import type { Collected, Harness } from '@chat/testing'
import { RECONNECT } from './fast-reconnect.js'
import { assertConsecutive, byText, readAllHistory } from './history.js'
import { WindowedSender } from './windowed-sender.js'

/** A server of a chat service whose servers share their state (one server behind two addresses, or a cluster's nodes). */
export interface ServiceNode {
  /** Its address for the SDK. */
  url: string
  /** Takes it down as a crash would: its connections end, new ones fail. Resolves once it is down. */
  stop: () => Promise<void>
}

export interface FailoverOptions {
  /** Default 'failover'. */
  room?: string
  /** Messages each of the two clients sends. Default 300. */
  messages?: number
  /** Acknowledged sends (of both) before the first node is stopped. Default a third of all. */
  stopAfter?: number
  /** For the clients, over the fast reconnects of the tests. */
  clientOptions?: Omit<ConnectOptions, 'username'>
}

/**
 * One node of a shared service dies under a steady stream; its client moves
 * to another and nothing is lost or doubled. `mover` connects with every
 * node's address and starts on `nodes[0]`; `steady` is on the last node. Both
 * join the room and send, `window` sends in flight each; after `stopAfter`
 * acknowledgements `nodes[0]` is stopped. Checks: the mover reconnects to
 * another node (status and `client.url` say which), each send resolves once with
 * one id, history holds each text once under that id, and both clients'
 * iterators yield every message once, in id order, with no gap. Needs nodes that share rooms and
 * history (with independent servers the ids on the second would start again).
 */
export async function failoverExactlyOnce (h: Harness, nodes: readonly ServiceNode[], options: FailoverOptions = {}): Promise<void> {
  assert.ok(nodes.length >= 2, 'failover needs two nodes or more')
  const room = options.room ?? 'failover'
  const n = options.messages ?? 300
  const connectOptions = { ...RECONNECT, randomize: false, ...options.clientOptions }
  const mover = await h.client(nodes.map(node => node.url), 'mover', connectOptions)
  const steady = await h.client(nodes[nodes.length - 1].url, 'steady', connectOptions)
  assert.equal(mover.url, nodes[0].url, 'the mover starts on the first node')
  for (const c of [mover, steady]) await within(c.join(room), `${c.username} to join ${room}`)
  const status = new StatusLog(mover, 'mover')
  const inboxes = [mover, steady].map(c => collectMessages(c, { room }, `${c.username}'s messages`))
  const senders = [mover, steady].map(c => new WindowedSender(c, { room }, texts(c.username, n), 10))
  const acked = (): number => senders.reduce((sum, s) => sum + s.ackedCount, 0)

  await waitUntil(() => acked() >= (options.stopAfter ?? Math.floor(2 * n / 3)), 'acknowledged sends before the stop', 30_000)
  assert.ok(acked() < 2 * n, 'the node stops while sends are in flight')
  await within(nodes[0].stop(), 'the first node to stop')
  const reconnect = await status.next('reconnect', 'the mover to reconnect', 0, 30_000)
  assert.notEqual(reconnect.url, nodes[0].url, 'the mover left the stopped node')
  assert.ok(nodes.some(node => node.url === reconnect.url), `the mover is on a node of the service: ${reconnect.url}`)
  await within(Promise.all(senders.map(async s => await s.done)), 'every send to settle', 60_000)

  const idOf = new Map<string, number>()
  for (const sender of senders) {
    assert.deepEqual(sender.failures.map(f => `${f.index}: ${inspect(f.error)}`), [], 'no send failed')
    sender.settled.forEach((times, i) => { assert.equal(times, 1, `send ${i} settled once`) })
    sender.acks.forEach((ack, i) => idOf.set(sender.texts[i], ack!.id))
  }
  const total = 2 * n
  assert.equal(new Set(idOf.values()).size, total, 'no two sends share an id')
  const history = await readAllHistory(steady, room)
  assertConsecutive(history, 1, 'history')
  assert.equal(history.length, total, 'history holds each text once and nothing else')
  for (const [text, message] of byText(history, 'history')) assert.equal(idOf.get(text), message.id, `${text} is stored under its acknowledged id`)
  for (const inbox of inboxes) await assertSawAll(inbox, total, idOf)
  assert.equal(mover.url, reconnect.url, 'client.url is where the mover reconnected')
  assert.ok(!status.types.includes('resume_failed') && !status.types.includes('close'), `the mover's status: ${status.types.join(', ')}`)
}

function texts (prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`)
}

/** The iterator yielded ids 1..total, each once, in order, each with the text acknowledged under it. */
async function assertSawAll (inbox: Collected<ChatMessage>, total: number, idOf: ReadonlyMap<string, number>): Promise<void> {
  await inbox.until(items => (items.at(-1)?.id ?? 0) >= total, `message ${total}`, 30_000)
  assertConsecutive(inbox.items, 1, inbox.name)
  assert.equal(inbox.items.length, total, `${inbox.name}: every message once`)
  for (const m of inbox.items) assert.equal(idOf.get(m.text), m.id, `${inbox.name}: ${m.text} has its acknowledged id`)
}
