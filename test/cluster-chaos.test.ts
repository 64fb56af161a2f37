import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect } from '@chat/client'
import type { ChatClient, ChatMessage, PresenceEvent } from '@chat/client'
import { Harness, startRedis, waitUntil, within } from '@chat/testing'
import type { RedisServer, ServerProcess } from '@chat/testing'
import { SERVER_BIN } from './support/cli-server.js'
import { startCluster, TEST_LEASE_MS } from './support/cluster.js'

const ROUNDS = 10
/** Clients that keep trying, quickly: a node's death is the test's routine. */
const RECONNECT = { maxReconnectAttempts: -1, reconnectTimeWait: 50, maxReconnectTimeWait: 500 }
/** A dead node's users must be gone within this: a lease, the renewal period, and a loaded machine's slack. */
const GHOST_BOUND_MS = TEST_LEASE_MS + 8_000

/** Publishers sending through the SDK (idempotency keys and all) until stopped, keeping what was acknowledged. */
function publish (clients: ChatClient[], room: string): { acked: Map<number, string>, stop: () => Promise<void>, sent: () => number } {
  const acked = new Map<number, string>()
  let running = true
  const loops = clients.map(async (client, n) => {
    for (let i = 0; running; i++) {
      const text = `p${n} ${i}`
      try {
        const ack = await client.send(room, text)
        assert.equal(acked.get(ack.id) ?? text, text, `id ${ack.id} acknowledged for two texts`)
        acked.set(ack.id, text)
      } catch {
        // Not acknowledged (its node died and the resend failed too): it may or may not be stored.
      }
    }
  })
  return { acked, sent: () => acked.size, stop: async () => { running = false; await Promise.all(loops) } }
}

/** Every subscriber got the same messages, ids 1, 2, 3... with no gap and no duplicate, and every acknowledged one with its text. */
function checkDelivered (received: ChatMessage[][], acked: Map<number, string>): void {
  const reference = received[0].map(m => `${m.id} ${m.text}`)
  received.forEach((got, i) => {
    got.forEach((m, index) => { assert.equal(m.id, index + 1, `subscriber ${i}: message ${index} has id ${m.id}`) })
    assert.deepEqual(got.map(m => `${m.id} ${m.text}`), reference, `subscriber ${i} saw another sequence`)
  })
  const byId = new Map(received[0].map(m => [m.id, m.text]))
  for (const [id, text] of acked) assert.equal(byId.get(id), text, `acknowledged message ${id} (${text}) was not delivered as acknowledged`)
}

/** Reads a subscription into an array until `until` says stop. */
function collect (client: ChatClient, room: string): ChatMessage[] {
  const got: ChatMessage[] = []
  void (async () => {
    for await (const m of client.messages({ room })) got.push(m)
  })().catch(() => {})
  return got
}

async function startNode (h: Harness, redis: RedisServer, port?: number): Promise<ServerProcess> {
  const args = [SERVER_BIN, '--cluster', redis.url, '--lease-ms', String(TEST_LEASE_MS), '--port', String(port ?? 0), '--no-http', '--auth', 'open']
  return await h.serverProcess(args, port === undefined ? {} : { port })
}

test(`chaos: a node SIGKILLed under a steady stream, ${ROUNDS} times: every acknowledged message exactly once, in order, on every node; the dead node's users leave`, async t => {
  const h = new Harness(t)
  const redis = await startRedis(h, { appendfsync: 'always' })
  const nodes = [await startNode(h, redis), await startNode(h, redis), await startNode(h, redis)]
  const urls = nodes.map(n => `tcp://127.0.0.1:${n.port}`)
  /** Each client starts on node `i` and knows every node. */
  const rotated = (i: number): string[] => [...urls.slice(i % 3), ...urls.slice(0, i % 3)]
  const clients: ChatClient[] = []
  const open = async (i: number, username: string): Promise<ChatClient> => {
    const client = await connect(rotated(i), { username, ...RECONNECT })
    clients.push(client)
    h.defer(`closing ${username}`, async () => { await client.close().catch(() => {}) })
    return client
  }
  const subscribers: ChatClient[] = []
  for (let i = 0; i < 3; i++) subscribers.push(await open(i, `reader${i}`))
  for (const s of subscribers) await s.join('stream')
  const received = subscribers.map(s => collect(s, 'stream'))
  const publishers = [await open(0, 'writer0'), await open(1, 'writer1')]
  for (const p of publishers) await p.join('stream')
  // Presence as the room's members see it (an observer on whichever node it ends up on).
  const observer = await open(2, 'observer')
  await observer.join('stream')
  const leaves: PresenceEvent[] = []
  void (async () => { for await (const e of observer.events({ room: 'stream' })) if (e.type === 'leave') leaves.push(e) })().catch(() => {})

  const stream = publish(publishers, 'stream')
  for (let round = 0; round < ROUNDS; round++) {
    const victim = round % 3
    // A user that never comes back: it must leave the member lists once its node is dead.
    const ghost = `ghost${round}`
    const ghostClient = await connect(urls[victim], { username: ghost, reconnect: false })
    h.defer(`closing ${ghost}`, async () => { await ghostClient.close().catch(() => {}) })
    await ghostClient.join('stream')
    const progress = stream.sent()
    await waitUntil(() => stream.sent() >= progress + 20, `round ${round}: the stream to flow`, 30_000)
    await nodes[victim].kill()
    const killedAt = performance.now()
    await waitUntil(() => leaves.some(e => e.user === ghost), `round ${round}: ${ghost} to leave`, GHOST_BOUND_MS)
    t.diagnostic(`round ${round}: ${ghost} left ${Math.round(performance.now() - killedAt)} ms after its node died`)
    assert.equal(leaves.find(e => e.user === ghost)?.reason, 'disconnected')
    assert.ok(!(await within(observer.members('stream'), 'members')).includes(ghost))
    nodes[victim] = await startNode(h, redis, nodes[victim].port)
  }
  await stream.stop()
  const last = Math.max(...stream.acked.keys())
  await waitUntil(() => received.every(r => r.length > 0 && r[r.length - 1].id >= last), () => `every subscriber to reach id ${last}: ${received.map(r => r.at(-1)?.id).join(', ')}`, 30_000)
  // Whatever came after the last ack (an unacknowledged send stored anyway) may still be arriving: compare up to it.
  checkDelivered(received.map(r => r.filter(m => m.id <= last)), stream.acked)
  t.diagnostic(`${stream.acked.size} acknowledged messages, ids up to ${last}, delivered to ${received.length} subscribers`)
})

test('Redis killed and restarted under load (appendfsync always): no acknowledged message lost, none twice', async t => {
  const h = new Harness(t)
  const { urls, redis } = await startCluster(h, 2, { redis: { appendfsync: 'always' } })
  const subscribers = [await connect(urls, { username: 'reader0', ...RECONNECT }), await connect([...urls].reverse(), { username: 'reader1', ...RECONNECT })]
  const publishers = [await connect(urls, { username: 'writer0', ...RECONNECT }), await connect([...urls].reverse(), { username: 'writer1', ...RECONNECT })]
  for (const c of [...subscribers, ...publishers]) {
    h.defer('closing a client', async () => { await c.close().catch(() => {}) })
    await c.join('stream')
  }
  const received = subscribers.map(s => collect(s, 'stream'))
  const stream = publish(publishers, 'stream')
  for (let round = 0; round < 2; round++) {
    const progress = stream.sent()
    await waitUntil(() => stream.sent() >= progress + 200, 'the stream to flow', 30_000)
    await redis.kill()
    await new Promise(resolve => setTimeout(resolve, 300))
    await redis.start()
  }
  const progress = stream.sent()
  await waitUntil(() => stream.sent() >= progress + 200, 'the stream to flow again after Redis came back', 30_000)
  await stream.stop()
  const last = Math.max(...stream.acked.keys())
  await waitUntil(() => received.every(r => r.length > 0 && r[r.length - 1].id >= last), () => `every subscriber to reach id ${last}: ${received.map(r => r.at(-1)?.id).join(', ')}`, 30_000)
  checkDelivered(received.map(r => r.filter(m => m.id <= last)), stream.acked)
  // And the stored stream has each once: read it back page by page.
  const stored: number[] = []
  for (let options: { after: number } | undefined = { after: 0 }; options !== undefined;) {
    const page = await subscribers[0].history('stream', { ...options, limit: 500 })
    stored.push(...page.messages.map(m => m.id))
    options = page.next !== undefined && 'after' in page.next ? page.next : undefined
  }
  assert.deepEqual(stored.filter(id => id <= last), Array.from({ length: last }, (_, i) => i + 1))
  t.diagnostic(`${stream.acked.size} acknowledged messages across two Redis crashes, ids 1..${last}, each stored and delivered once`)
})
