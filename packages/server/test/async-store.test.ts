import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { setImmediate as turn } from 'node:timers/promises'
import { PROTOCOL_VERSION } from '@chat/protocol'
import type { ChatMessage, ClientMessage, ServerMessage } from '@chat/protocol'
import { Harness } from '@chat/testing'
import { pipelined, transcript } from './transcript.fixture.js'
import type { RawClient, RequestWithoutId } from '@chat/testing'
import { createServer, NO_RATE_LIMITS } from '../src/index.js'
import type { ChatServer, ServerOptions } from '../src/index.js'
import { LocalEngine } from '../src/engine/local-engine.js'
import { MemoryStore } from '../src/store/memory-store.js'
import { DeferredStore, deferredServer } from './deferred-store.fixture.js'
import type { StoreMethod } from './deferred-store.fixture.js'

const PASSWORD = 'correct horse battery staple'
/** Retention the scenario applies by hand (`applyRetention`), never on its own. */
const RETENTION: ServerOptions = { retention: { maxMessagesPerStream: 10 }, retentionIntervalMs: 3_600_000 }


async function hello (client: RawClient, username: string, fields: { password?: string, register?: boolean } = {}): Promise<ServerMessage> {
  return await client.request({ type: 'hello', v: PROTOCOL_VERSION, username, ...fields })
}


/** Logins, history pages both ways, replays, inboxes, keys and retention: each client's transcript. */
async function scenario (t: TestContext, server: ChatServer): Promise<Record<string, Record<string, unknown[]>>> {
  const h = new Harness(t)
  const bobFirst = h.connect(server, 'bob registering')
  assert.equal((await hello(bobFirst, 'Bob', { password: PASSWORD, register: true })).type, 'welcome')
  await bobFirst.close()
  const alice = h.connect(server, 'alice')
  assert.equal((await hello(alice, 'alice', { password: PASSWORD, register: true })).type, 'welcome')

  // Refused logins, then a guest.
  const mallory = h.connect(server, 'mallory')
  for (const fields of [{ password: 'wrong password' }, { password: PASSWORD, register: true }, {}]) await hello(mallory, 'bob', fields)
  await hello(mallory, 'alice', { password: PASSWORD, register: true })
  await hello(mallory, 'mallory')
  await mallory.request({ type: 'dm', to: 'nobody', text: 'hello?' })

  // 24 room messages (one send retried right behind it), three direct messages to bob's inbox (one retried too).
  const sends: ClientMessage[] = Array.from({ length: 24 }, (_, i) => ({ type: 'send', req: 100 + i, room: 'general', text: `m${i + 1}`, key: `k${i + 1}` }))
  sends.splice(5, 0, { type: 'send', req: 99, room: 'general', text: 'm5', key: 'k5' })
  pipelined(alice, [{ type: 'join', req: 10, room: 'general' }, ...sends])
  await alice.next(m => 're' in m && m.re === 123, 'the last send\'s ack')
  pipelined(alice, [
    { type: 'dm', req: 30, to: 'bob', text: 'inbox 1', key: 'd1' },
    { type: 'dm', req: 31, to: 'bob', text: 'inbox 1', key: 'd1' },
    { type: 'dm', req: 32, to: 'Bob', text: 'inbox 2' },
    { type: 'dm', req: 33, to: 'bob', text: 'inbox 3' }
  ])
  await alice.next(m => 're' in m && m.re === 33, 'the third direct message\'s ack')
  // Retries after the commit: answered from the store.
  pipelined(alice, [
    { type: 'send', req: 40, room: 'general', text: 'm1', key: 'k1' },
    { type: 'dm', req: 41, to: 'bob', text: 'inbox 1', key: 'd1' }
  ])
  await alice.next(m => 're' in m && m.re === 41, 'the retried dm\'s ack')

  pipelined(alice, [
    { type: 'history', req: 50, room: 'general', limit: 10 },
    { type: 'history', req: 51, room: 'general', limit: 10, before: 15 },
    { type: 'history', req: 52, room: 'general', limit: 10, before: 5 },
    { type: 'history', req: 53, room: 'general', limit: 10, after: 0 },
    { type: 'history', req: 54, room: 'general', limit: 10, after: 20 },
    { type: 'history', req: 55, with: 'bob' },
    { type: 'history', req: 56, with: 'nobody' },
    { type: 'history', req: 57, with: 'mallory' }
  ])
  await alice.next(m => 're' in m && m.re === 57, 'the last history page')

  // Bob's inbox comes right after his welcome, in order; then a replay from 20.
  const bob = h.connect(server, 'bob')
  pipelined(bob, [
    { type: 'hello', v: PROTOCOL_VERSION, req: 1, username: 'bob', password: PASSWORD },
    { type: 'history', req: 2, with: 'alice' },
    { type: 'join', req: 3, room: 'general' },
    { type: 'replay', req: 4, room: 'general', after: 20 }
  ])
  await bob.next(m => m.type === 'replay_done', 'the replay')

  // Retention keeps the newest 10 of general (15..24): what it removed is gone.
  assert.equal(await server.applyRetention(), 14)
  pipelined(alice, [
    { type: 'history', req: 60, room: 'general', after: 0 },
    { type: 'replay', req: 61, room: 'general', after: 3 },
    { type: 'history', req: 62, room: 'general', limit: 50 },
    { type: 'history', req: 63, room: 'general', limit: 5, before: 17 },
    { type: 'replay', req: 64, room: 'general', after: 14 }
  ])
  await alice.next(m => m.type === 'replay_done' && m.re === 64, 'the replay after retention')
  for (const client of [alice, bob, mallory]) await client.sync()
  return { alice: transcript(alice), bob: transcript(bob), mallory: transcript(mallory) }
}

/**
 * The ids of a room's messages a client received, as a client takes them
 * (PROTOCOL.md, replay): the replayed ones, and the live ones after
 * `replay_done` with ids above its `lastId`.
 */
function handover (client: RawClient, room: string): { replayed: number[], live: number[], lastId: number } {
  const at = client.received.findIndex(m => m.type === 'replay_done')
  const done = client.received[at]
  assert.ok(done?.type === 'replay_done', 'the replay ended')
  const msgs = (from: number, to: number): ChatMessage[] => client.received.slice(from, to).filter((m): m is ChatMessage => m.type === 'msg' && m.room === room)
  return {
    replayed: msgs(0, at).filter(m => m.replay !== undefined).map(m => m.id),
    live: msgs(at + 1, client.received.length).filter(m => m.replay === undefined && m.id > done.lastId).map(m => m.id),
    lastId: done.lastId
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

/** A request in every turn of the event loop (at least `least` of them), until stopped. */
class Flood {
  private sending = true
  private readonly done: Promise<number>

  constructor (send: (i: number) => void, least = 50) {
    this.done = (async () => {
      let i = 0
      for (; this.sending || i < least; i++) {
        send(i)
        await turn()
      }
      return i
    })()
  }

  /** Resolves with how many were sent. */
  async stop (): Promise<number> {
    this.sending = false
    return await this.done
  }
}

describe('a store that answers asynchronously (as a shared one would)', () => {
  it('gives every client the same replies, messages and inboxes, in the same order, as the synchronous store', async t => {
    const local = await scenario(t, createServer(RETENTION))
    const { server, store } = deferredServer(RETENTION)
    const deferred = await scenario(t, server)
    assert.ok(store.deferred > 40, `the handlers waited on the store (${store.deferred} answers)`)
    assert.deepEqual(deferred, local)
    // The scenario did what it says: spot checks of the local run.
    const code = (m: unknown): string => { const r = m as { re: number, type: string, code?: string }; return `${r.re} ${r.code ?? r.type}` }
    assert.deepEqual(local.mallory.replies.map(code), ['1 auth_failed', '2 name_taken', '3 auth_failed', '4 name_taken', '5 welcome', '6 no_such_user'])
    const acks = local.alice.acks as Array<{ re: number, id: number, stored?: boolean }>
    const ackOf = (re: number): number | undefined => acks.find(a => a.re === re)?.id
    assert.equal(acks.length, 31)
    assert.deepEqual([ackOf(99), ackOf(40)], [ackOf(104), ackOf(100)], 'retries acked with the first send\'s id')
    assert.deepEqual([ackOf(31), ackOf(41)], [ackOf(30), ackOf(30)])
    assert.equal(acks.find(a => a.re === 33)?.stored, true)
    const pages = local.alice.replies.filter(m => (m as { type: string }).type === 'history_page') as Array<{ re: number, messages: ChatMessage[], more: boolean, gone?: boolean }>
    const page = (re: number): string => { const p = pages.find(p => p.re === re)!; return `${p.messages.map(m => m.id).join(',')} more=${String(p.more)}${p.gone === true ? ' gone' : ''}` }
    assert.equal(page(50), `${range(15, 24).join(',')} more=true`)
    assert.equal(page(51), `${range(5, 14).join(',')} more=true`)
    assert.equal(page(52), '1,2,3,4 more=false')
    assert.equal(page(53), `${range(1, 10).join(',')} more=true`)
    assert.equal(page(54), '21,22,23,24 more=false')
    assert.equal(page(55), '1,2,3 more=false')
    assert.equal(page(56), ' more=false')
    assert.equal(page(62), `${range(15, 24).join(',')} more=false gone`)
    assert.equal(page(63), '15,16 more=false gone')
    assert.deepEqual(local.alice.replies.filter(m => (m as { code?: string }).code === 'history_gone').map(code), ['60 history_gone', '61 history_gone'])
    assert.deepEqual((local.bob['msg to Bob from alice'] as ChatMessage[]).map(m => `${m.id} ${m.text}`), ['1 inbox 1', '2 inbox 2', '3 inbox 3'])
    assert.deepEqual((local.bob['msg general'] as ChatMessage[]).map(m => m.id), [21, 22, 23, 24])
    assert.deepEqual((local.alice['msg general'] as ChatMessage[]).filter(m => m.replay === 64).map(m => m.id), range(15, 24))
  })

  it('a replay hands over to live messages with no gap and no duplicate while messages keep coming', async t => {
    const h = new Harness(t)
    const { server } = deferredServer({ rateLimits: NO_RATE_LIMITS })
    const [reader, writer] = [h.connect(server, 'reader'), h.connect(server, 'writer')]
    for (const [client, name] of [[reader, 'reader'], [writer, 'writer']] as const) {
      await client.login(name)
      await client.join('general')
    }
    pipelined(writer, Array.from({ length: 300 }, (_, i) => ({ type: 'send', req: 1000 + i, room: 'general', text: `stored ${i}` })))
    await writer.next(m => 're' in m && m.re === 1299, 'the stored messages')
    // A send in every turn while the replay reads, its answers a turn behind.
    const flood = new Flood(i => { writer.send({ type: 'send', req: 2000 + i, room: 'general', text: `live ${i}` }) })
    reader.send({ type: 'replay', req: 1, room: 'general', after: 0 })
    await reader.nextOfType('replay_done')
    const last = 300 + await flood.stop()
    await reader.waitFor(m => m.type === 'msg' && m.id === last, 'the last live message')
    const { replayed, live, lastId } = handover(reader, 'general')
    assert.ok(lastId > 300, `live messages were committed during the replay (handed over at ${lastId})`)
    assert.deepEqual(replayed, range(1, lastId), 'every message up to the handover, replayed once, in order')
    assert.deepEqual(live, range(lastId + 1, last), 'every later one live, once, in order')
  })

  it('a direct message that chose the inbox while its empty read was on its way is delivered, in order, once', async t => {
    const h = new Harness(t)
    const { server, store } = deferredServer()
    const bobFirst = h.connect(server, 'bob registering')
    await hello(bobFirst, 'bob', { password: PASSWORD, register: true })
    await bobFirst.close()
    const alice = await h.user(server, 'alice')
    assert.equal((await alice.request({ type: 'dm', to: 'bob', text: 'kept' })).type, 'ack')
    // Bob's first read finds 'kept'; the second finds nothing, but is answered only after a direct message chose his inbox.
    const emptyRead = store.gate('readInbox', 1)
    const bob = h.connect(server, 'bob')
    assert.equal((await hello(bob, 'bob', { password: PASSWORD })).type, 'welcome')
    await emptyRead.reached
    const meanwhile = await alice.request({ type: 'dm', to: 'bob', text: 'meanwhile' })
    assert.equal(meanwhile.type === 'ack' && meanwhile.stored, true, 'it went to the inbox being delivered')
    emptyRead.open()
    await bob.waitFor(m => m.type === 'msg' && m.text === 'meanwhile', 'the message that joined the inbox')
    const live = await alice.request({ type: 'dm', to: 'bob', text: 'live' })
    assert.equal(live.type === 'ack' && live.stored, undefined, 'the delivery is over: live again')
    await bob.waitFor(m => m.type === 'msg' && m.text === 'live', 'the live message')
    await bob.sync()
    assert.deepEqual(bob.received.filter((m): m is ChatMessage => m.type === 'msg').map(m => `${m.id} ${m.text}`), ['1 kept', '2 meanwhile', '3 live'])
  })

  it('a store whose answer fails: storage_error to the requester, logged as an error, and the connection carries on', async t => {
    const h = new Harness(t)
    const errors: string[] = []
    const { server, store } = deferredServer({ logger: { info: () => {}, warn: () => {}, error: line => { errors.push(line) } } })
    const bobFirst = h.connect(server, 'bob registering')
    await hello(bobFirst, 'bob', { password: PASSWORD, register: true })
    await bobFirst.close()
    const alice = await h.user(server, 'alice')
    await alice.join('general')
    const refused: Array<[StoreMethod, RequestWithoutId]> = [
      ['readBefore', { type: 'history', room: 'general' }],
      ['floor', { type: 'replay', room: 'general', after: 0 }],
      ['findByKey', { type: 'send', room: 'general', text: 'once', key: 'k' }],
      ['getAccount', { type: 'dm', to: 'bob', text: 'psst' }]
    ]
    for (const [method, request] of refused) {
      store.failing.add(method)
      const reply = await alice.request(request)
      store.failing.clear()
      assert.deepEqual(reply.type === 'error' && [reply.code, reply.fatal], ['storage_error', undefined], `${method}: ${JSON.stringify(reply)}`)
    }
    assert.equal(errors.length, refused.length, errors.join('\n'))
    assert.ok(errors.every(line => /refused: .* failed \(injected\)/.test(line)), errors.join('\n'))
    // A hello that needs an account refused alike; then everything works again.
    store.failing.add('getAccount')
    const eve = h.connect(server, 'eve')
    const refusedHello = await hello(eve, 'eve')
    assert.equal(refusedHello.type === 'error' && refusedHello.code, 'storage_error')
    store.failing.clear()
    assert.equal((await hello(eve, 'eve')).type, 'welcome')
    assert.equal((await alice.request({ type: 'send', room: 'general', text: 'once', key: 'k' })).type, 'ack')
    assert.equal((await alice.request({ type: 'history', room: 'general' })).type, 'history_page')
    assert.equal(alice.isClosed, false)
  })

  it('an engine that checks keys at its commit: a keyed send is not looked up in the store first', async t => {
    const h = new Harness(t)
    const inner = new MemoryStore()
    const store = new DeferredStore(inner)
    // Were the key looked up, the send would be refused.
    store.failing.add('findByKey')
    const server = createServer({ store, engine: context => Object.assign(new LocalEngine(inner, context.rooms, context.delivery, context), { checksKeysAtCommit: true }) })
    const alice = await h.user(server, 'alice')
    await alice.join('general')
    const ack = await alice.request({ type: 'send', room: 'general', text: 'once', key: 'k' })
    assert.equal(ack.type, 'ack', JSON.stringify(ack))
  })

  it('the built-in engine refuses a store that answers later, saying what it needs', () => {
    assert.throws(() => createServer({ store: new DeferredStore(new MemoryStore()) }), /needs a store that answers at once \(a LocalStore/)
  })
})
