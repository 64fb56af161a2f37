import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatMessage, PresenceEvent } from '@chat/client'
import { ErrorCodes } from '@chat/protocol'
import { Harness, rejectsWithCode, take, takeUntil, waitUntil, within } from '@chat/testing'
import { SERVER_BIN } from './support/cli-server.js'
import { startCluster } from './support/cluster.js'
import { failoverExactlyOnce } from './support/failover.js'

const PASSWORD = 'correct horse battery staple'
const summary = (e: PresenceEvent): string => `${e.type} ${e.room} ${e.user}${e.reason === undefined ? '' : ` (${e.reason})`}`

test('names are unique across nodes; a resume on another node replaces the session there', async t => {
  const h = new Harness(t)
  const { nodes, urls } = await startCluster(h, 3)
  const alice = await h.raw(nodes[0].port, 'alice@1')
  const welcome = await alice.login('alice')
  const other = await h.raw(nodes[1].port, 'alice@2')
  other.send({ type: 'hello', v: 1, req: other.req(), username: 'ALICE' })
  const refused = await other.nextOfType('error')
  assert.equal(refused.code, ErrorCodes.NAME_TAKEN)

  // The token taken to a third node: the first connection is told why it ends.
  const third = await h.raw(nodes[2].port, 'alice@3')
  third.send({ type: 'hello', v: 1, req: third.req(), username: 'alice', resume: welcome.session })
  await third.nextOfType('welcome')
  const replaced = await alice.nextOfType('error')
  assert.equal(replaced.code, ErrorCodes.SESSION_REPLACED)
  await alice.waitClosed()
  // The name is still held (by the new session): nobody else gets it.
  const bob = await h.client(urls[0], 'bob')
  await rejectsWithCode(h.client(urls[1], 'alice'), ErrorCodes.NAME_TAKEN)
  await bob.close()
})

test('rooms, member lists, room counts and presence are cluster-wide', async t => {
  const h = new Harness(t)
  const { urls } = await startCluster(h, 3)
  const alice = await h.client(urls[0], 'alice')
  await alice.join('general')
  const events = alice.events({ types: ['join', 'leave'] })
  const bob = await h.client(urls[1], 'bob')
  const joined = await bob.join('general')
  assert.deepEqual(joined.members, ['alice', 'bob'])
  const carol = await h.client(urls[2], 'carol')
  await carol.join('general')
  await carol.join('side')
  assert.deepEqual(await alice.members('general'), ['alice', 'bob', 'carol'])
  assert.deepEqual(await bob.rooms(), [{ room: 'general', members: 3 }, { room: 'side', members: 1 }])
  await bob.leave('general')
  await carol.close()
  assert.deepEqual((await take(events, 4, 'alice\'s presence events')).map(summary), [
    'join general bob', 'join general carol', 'leave general bob (left)', 'leave general carol (quit)'
  ])
  // carol's leaves (a logout's) reach Redis one after the other: poll for the last.
  let rooms = await bob.rooms()
  for (let i = 0; i < 100 && rooms.length > 1; i++) rooms = await bob.rooms()
  assert.deepEqual(rooms, [{ room: 'general', members: 1 }])
})

test('room messages reach members on every node, in one order, with ids one apart', async t => {
  const h = new Harness(t)
  const { urls } = await startCluster(h, 3)
  const members = []
  for (let i = 0; i < 6; i++) {
    const client = await h.client(urls[i % 3], `m${i}`)
    await client.join('busy')
    members.push(client)
  }
  const streams = members.map(m => m.messages({ room: 'busy' })[Symbol.asyncIterator]())
  // Three publishers, one per node, at once.
  const perPublisher = 100
  await Promise.all(members.slice(0, 3).map(async (p, n) => {
    for (let i = 0; i < perPublisher; i++) await p.send('busy', `p${n} ${i}`)
  }))
  const total = 3 * perPublisher
  const seen = await Promise.all(streams.map(async (s, i) => await take(s, total, `member ${i}'s messages`)))
  const first = seen[0].map(m => `${m.id} ${m.text}`)
  for (const got of seen) assert.deepEqual(got.map(m => `${m.id} ${m.text}`), first)
  const ids = seen[0].map(m => m.id)
  for (let i = 1; i < ids.length; i++) assert.equal(ids[i], ids[i - 1] + 1)
  // Each publisher's own messages in the order it sent them.
  for (let n = 0; n < 3; n++) {
    assert.deepEqual(seen[0].filter(m => m.text.startsWith(`p${n} `)).map(m => m.text), Array.from({ length: perPublisher }, (_, i) => `p${n} ${i}`))
  }
})

test('direct messages cross nodes, online and offline, and their conversation\'s history is shared', async t => {
  const h = new Harness(t)
  const { urls } = await startCluster(h, 3)
  // Offline: bob registered on node 3, gone; alice writes from node 1; bob logs in on node 2.
  const bobFirst = await h.client(urls[2], 'bob', { password: PASSWORD, register: true })
  await bobFirst.close()
  const alice = await h.client(urls[0], 'alice')
  const stored = await alice.dm('bob', 'while you were away')
  assert.equal(stored.stored, true)
  const bob = await h.client(urls[1], 'bob', { password: PASSWORD })
  const inbox = bob.messages()[Symbol.asyncIterator]()
  const [offline] = await take(inbox, 1, 'bob\'s offline DM')
  assert.equal(offline.text, 'while you were away')
  // Online, across nodes, both ways.
  const aliceInbox = alice.messages()[Symbol.asyncIterator]()
  await alice.dm('bob', 'live one')
  assert.equal((await take(inbox, 1, 'bob\'s live DM'))[0].text, 'live one')
  await bob.dm('alice', 'and back')
  assert.equal((await take(aliceInbox, 1, 'alice\'s DM'))[0].text, 'and back')
  // The conversation's history, read on a third node by a third connection of bob's account.
  await bob.close()
  const bobAgain = await h.client(urls[2], 'bob', { password: PASSWORD })
  const page = await bobAgain.history({ with: 'alice' }, { limit: 10 })
  assert.deepEqual(page.messages.map(m => m.text), ['while you were away', 'live one', 'and back'])

})

test('history pages and since-replays read the shared streams', async t => {
  const h = new Harness(t)
  const { urls } = await startCluster(h, 2)
  const writer = await h.client(urls[0], 'writer')
  await writer.join('log')
  for (let i = 1; i <= 30; i++) await writer.send('log', `line ${i}`)
  const reader = await h.client(urls[1], 'reader')
  await reader.join('log')
  const newest = await reader.history('log', { limit: 10 })
  assert.deepEqual(newest.messages.map(m => m.text), Array.from({ length: 10 }, (_, i) => `line ${21 + i}`))
  const older = await reader.history('log', { limit: 10, before: newest.messages[0].id })
  assert.equal(older.messages[0].text, 'line 11')
  const since = reader.messages({ room: 'log', since: 25 })[Symbol.asyncIterator]()
  await writer.send('log', 'line 31')
  const got = await takeUntil(since, (m: ChatMessage) => m.text === 'line 31', 'the replay and the live message')
  assert.deepEqual(got.map(m => m.id), [26, 27, 28, 29, 30, 31])
})

test('a registered user\'s idempotency keys hold across nodes: a retry on another node is acknowledged with the first id', async t => {
  const h = new Harness(t)
  const { urls, nodes } = await startCluster(h, 2)
  const owner = await h.client(urls[0], 'owner', { password: PASSWORD, register: true })
  await owner.close()
  const one = await h.raw(nodes[0].port, 'one')
  one.send({ type: 'hello', v: 1, req: one.req(), username: 'owner', password: PASSWORD })
  await one.nextOfType('welcome')
  await one.join('general')
  const first = await one.request({ type: 'send', room: 'general', text: 'exactly once', key: 'retry-me' }) as { type: string, id: number, ts: number }
  one.destroy()
  const two = await h.raw(nodes[1].port, 'two')
  await within((async () => {
    // The first connection's end may not have reached node 1 yet: the name frees when it does.
    for (;;) {
      two.send({ type: 'hello', v: 1, req: two.req(), username: 'owner', password: PASSWORD })
      const reply = await two.next(m => m.type === 'welcome' || m.type === 'error')
      if (reply.type === 'welcome') return
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  })(), 'owner to log in on node 2')
  await two.join('general')
  const retry = await two.request({ type: 'send', room: 'general', text: 'exactly once', key: 'retry-me' }) as { type: string, id: number, ts: number }
  assert.deepEqual([retry.type, retry.id, retry.ts], ['ack', first.id, first.ts])
  const page = await two.request({ type: 'history', room: 'general', limit: 10 }) as { messages: ChatMessage[] }
  assert.equal(page.messages.filter(m => m.text === 'exactly once').length, 1)
})

test('Redis unavailable: requests that need it fail with storage_error, connections stay, and the node recovers by itself', async t => {
  const h = new Harness(t)
  const { urls, redis } = await startCluster(h, 2, { redis: { appendfsync: 'always' } })
  const alice = await h.client(urls[0], 'alice')
  await alice.join('general')
  const bob = await h.client(urls[1], 'bob')
  await bob.join('general')
  const bobSees = bob.messages({ room: 'general' })[Symbol.asyncIterator]()
  const before = await alice.send('general', 'before')
  await redis.stop()
  await rejectsWithCode(alice.send('general', 'during'), ErrorCodes.STORAGE_ERROR)
  await redis.start()
  // The node reconnects to Redis by itself; the SDK's connection never dropped.
  const after = await within((async () => {
    for (;;) {
      try { return await alice.send('general', 'after') } catch { await new Promise(resolve => setTimeout(resolve, 100)) }
    }
  })(), 'a send to succeed after Redis is back', 20_000)
  assert.ok(after.id > before.id)
  const got = await takeUntil(bobSees, m => m.text === 'after', 'bob\'s messages')
  assert.deepEqual(got.map(m => m.text).filter(t => t !== 'during'), ['before', 'after'])
})

test('startup says what an ack survives, and warns when Redis keeps nothing on disk', async t => {
  const h = new Harness(t)
  const lines: string[] = []
  const logger = { info: (m: string) => { lines.push(`info ${m}`) }, warn: (m: string) => { lines.push(`warn ${m}`) }, error: (m: string) => { lines.push(`error ${m}`) } }
  await startCluster(h, 1, { redis: { appendfsync: 'always' }, logger })
  assert.ok(lines.some(l => l.startsWith('info redis appendfsync always: an acknowledged message is on disk')), lines.join('\n'))
  assert.ok(!lines.some(l => l.startsWith('warn')), lines.join('\n'))
  lines.length = 0
  await startCluster(h, 1, { redis: { persistence: false }, logger })
  assert.ok(lines.some(l => l.startsWith('warn redis persistence is off')), lines.join('\n'))
})

test('a node whose lease was taken away while alive drops its connections, and clients log in again', async t => {
  const h = new Harness(t)
  const { urls, nodes, redis } = await startCluster(h, 2)
  const raw = await h.raw(nodes[0].port, 'raw on node1')
  await raw.login('rawuser')
  const alice = await h.client([urls[0], urls[1]], 'alice', { reconnect: true, reconnectTimeWait: 50 })
  await alice.join('general')
  const status = alice.status()[Symbol.asyncIterator]()
  // As if the others had judged it dead (a long pause): its lease and users are gone from Redis.
  const admin = redis.client()
  await admin.zrem('chat:nodes', 'node1')
  const bye = await raw.next(m => m.type === 'error' || m.type === 'bye', 'node1 to drop the connection', 10_000)
  assert.equal((bye as { code: string }).code, ErrorCodes.SERVER_SHUTDOWN)
  // The SDK comes back (to either node) with its session and rooms.
  const events = await takeUntil(status, e => e.type === 'reconnect', 'alice to reconnect', 15_000)
  assert.equal((events.find(e => e.type === 'disconnect') as { error: { code: string } }).error.code, ErrorCodes.SERVER_SHUTDOWN)
  const ack = await within(alice.send('general', 'still here'), 'a send after the drop', 15_000)
  assert.ok(ack.id > 0)
  assert.ok((await alice.members('general')).includes('alice'))
})

test('chat-server cluster-status prints which node holds whom', async t => {
  const h = new Harness(t)
  const { urls, redis } = await startCluster(h, 2)
  const alice = await h.client(urls[0], 'alice')
  await alice.join('general')
  const bob = await h.client(urls[1], 'bob')
  await bob.join('general')
  const status = h.node([SERVER_BIN, 'cluster-status', '--cluster', redis.url])
  assert.equal((await status.waitExit()).code, 0, status.stderr)
  assert.match(status.stdout, /^node node1: lease \d+\.\d s left, 1 user\(s\): alice$/m)
  assert.match(status.stdout, /^node node2: lease \d+\.\d s left, 1 user\(s\): bob$/m)
  assert.match(status.stdout, /^2 user\(s\) online, 1 room\(s\): general \(2\)$/m)
  const json = h.node([SERVER_BIN, 'cluster-status', '--cluster', redis.url, '--json'])
  assert.equal((await json.waitExit()).code, 0)
  assert.equal(JSON.parse(json.stdout).users, 2)
  const unreachable = h.node([SERVER_BIN, 'cluster-status', '--cluster', 'redis://127.0.0.1:1'])
  assert.equal((await unreachable.waitExit()).code, 1)
  assert.match(unreachable.stderr, /storage_error|Redis not ready/)
})

test('a client whose node shuts down moves to another and loses nothing, doubles nothing (failoverExactlyOnce on three nodes)', async t => {
  const h = new Harness(t)
  const { nodes } = await startCluster(h, 3)
  await failoverExactlyOnce(h, nodes.map(node => ({ url: node.url, stop: async () => { await node.server.close() } })))
})
