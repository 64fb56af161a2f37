import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import type { LeaveReason } from '@chat/protocol'
import { Harness, waitUntil } from '@chat/testing'
import { pipelined, transcript } from './transcript.fixture.js'
import type { RawClient } from '@chat/testing'
import type { Delivery } from '../src/commit/delivery.js'
import type { Engine, EngineContext, OnlineUser, RoomSignal } from '../src/engine/engine.js'
import type { MaybePromise } from '../src/maybe-promise.js'
import { LocalEngine, localStoreOf } from '../src/engine/local-engine.js'
import type { Session } from '../src/session/session.js'
import { createServer } from '../src/index.js'

/** An answer after a turn of the event loop, as a shared engine's round trip would come. */
async function later<T> (answer: () => T): Promise<T> {
  return await new Promise<T>(resolve => { setImmediate(() => { resolve(answer()) }) })
}

/**
 * The local engine, but every answer that may take a round trip comes as a
 * promise a turn later: the server must behave exactly as with answers at once.
 */
class DeferredEngine implements Engine {
  /** How many answers came as promises: proof the handlers took the asynchronous path. */
  deferred = 0
  /** Set: name claims wait for it to settle (a test holds a claim in flight). */
  claimGate: Promise<void> | undefined
  /** Name claims asked for so far. */
  claims = 0
  private readonly inner: LocalEngine

  constructor (context: EngineContext) {
    this.inner = new LocalEngine(localStoreOf(context.store), context.rooms, context.delivery, context)
  }

  get userCount (): number { return this.inner.userCount }
  findUser (userKey: string): MaybePromise<OnlineUser | undefined> { return this.defer(() => this.inner.findUser(userKey)) }
  claimName (userKey: string, resume: string | undefined, create: (replacing: OnlineUser | undefined) => Session): ReturnType<Engine['claimName']> {
    this.claims++
    const gate = this.claimGate
    if (gate === undefined) return this.defer(() => this.inner.claimName(userKey, resume, create))
    return gate.then(async () => await this.defer(() => this.inner.claimName(userKey, resume, create)))
  }

  releaseName (session: Session): void { this.inner.releaseName(session) }
  join (room: string, session: Session): ReturnType<Engine['join']> { return this.defer(() => this.inner.join(room, session)) }
  leave (room: string, session: Session, reason: LeaveReason): void { this.inner.leave(room, session, reason) }
  members (room: string, limit: number): ReturnType<Engine['members']> { return this.defer(() => this.inner.members(room, limit)) }
  roomList (limit?: number): ReturnType<Engine['roomList']> { return this.defer(() => this.inner.roomList(limit)) }
  signalRoom (room: string, event: RoomSignal, aboutKey: string): void { this.inner.signalRoom(room, event, aboutKey) }
  typingTo (userKey: string, user: string, active: boolean): void { this.inner.typingTo(userKey, user, active) }
  publish (delivery: Delivery): void { this.inner.publish(delivery) }
  flush (): void { this.inner.flush() }
  close (): MaybePromise<void> { return this.inner.close() }

  private async defer<T> (answer: () => T): Promise<T> {
    this.deferred++
    return await later(answer)
  }
}



/** A session of three users touching every engine call, with requests pipelined; returns each client's transcript. */
async function scenario (t: TestContext, engine?: (context: EngineContext) => Engine): Promise<Record<string, Record<string, unknown[]>>> {
  const h = new Harness(t)
  const server = createServer(engine === undefined ? {} : { engine })
  const alice = await h.user(server, 'alice')
  const bob = await h.user(server, 'bob')
  const mallory = await h.connect(server, 'mallory')
  assert.equal((await mallory.request({ type: 'hello', v: 1, username: 'Alice' })).type, 'error', 'the name is taken')

  pipelined(alice, [
    { type: 'join', req: 10, room: 'general' },
    { type: 'join', req: 11, room: 'side' },
    { type: 'rooms', req: 12 },
    { type: 'members', req: 13, room: 'general' },
    { type: 'send', req: 14, room: 'general', text: 'hello' },
    { type: 'history', req: 15, room: 'general' },
    { type: 'members', req: 16, room: 'nowhere' },
    { type: 'dm', req: 17, to: 'bob', text: 'psst' },
    { type: 'dm', req: 18, to: 'nobody', text: 'hello?' }
  ])
  await alice.next(m => 're' in m && m.re === 18, 'the last pipelined reply')
  await bob.next(m => m.type === 'msg' && m.text === 'psst', 'bob\'s direct message')

  await bob.join('general')
  await alice.nextOfType('presence')
  pipelined(bob, [
    { type: 'send', req: 20, room: 'general', text: 'hi alice' },
    { type: 'history', req: 21, with: 'alice' },
    { type: 'rooms', req: 22 }
  ])
  await bob.next(m => 're' in m && m.re === 22, 'bob\'s last reply')
  await bob.next(m => 're' in m && m.re === 20, 'bob\'s ack')
  // Not pipelined behind the send: a message goes to the members at its commit, which an engine's
  // round trip moves (a leave right behind a send decides whether the sender gets its own copy).
  await bob.request({ type: 'leave', room: 'general' })

  // alice resumes on a new connection: the old one is replaced, the rooms carry over silently.
  const welcome = alice.received.find(m => m.type === 'welcome')
  assert.ok(welcome?.type === 'welcome')
  const resumed = await h.connect(server, 'alice again')
  pipelined(resumed, [
    { type: 'hello', v: 1, req: 1, username: 'alice', resume: welcome.session },
    { type: 'members', req: 2, room: 'side' },
    { type: 'send', req: 3, room: 'side', text: 'back' }
  ])
  await resumed.next(m => 're' in m && m.re === 3, 'the resumed session\'s ack')
  await alice.waitClosed()
  await bob.request({ type: 'join', room: 'side' })
  await resumed.nextOfType('presence')
  bob.send({ type: 'bye' })
  await bob.waitClosed()
  await resumed.nextOfType('presence', p => p.event === 'leave')
  for (const client of [resumed, mallory]) await client.sync()
  return { alice: transcript(alice), bob: transcript(bob), resumed: transcript(resumed), mallory: transcript(mallory) }
}

describe('an engine that answers asynchronously (as a shared one would)', () => {
  it('gives every client the same replies, events and messages, in the same order, as the local engine', async t => {
    const local = await scenario(t)
    let engine: DeferredEngine | undefined
    const deferred = await scenario(t, context => (engine = new DeferredEngine(context)))
    assert.ok(engine !== undefined && engine.deferred > 15, `the handlers waited on the engine (${engine?.deferred ?? 0} answers)`)
    assert.deepEqual(deferred, local)
    // The scenario did what it says: spot checks of the local run.
    const replies = local.alice.replies as Array<{ type: string, re: number, code?: string }>
    assert.deepEqual(replies.filter(m => m.re >= 10).map(m => `${m.re} ${m.code ?? m.type}`),
      ['10 joined', '11 joined', '12 room_list', '13 member_list', '15 history_page', '16 no_such_room', '18 no_such_user'],
      'pipelined requests answered in order')
    assert.deepEqual((local.alice.acks as Array<{ re: number }>).map(m => m.re), [14, 17])
    assert.deepEqual((local.alice.other as Array<{ code?: string }>).map(m => m.code), ['session_replaced'])
    assert.deepEqual((local.resumed['msg side'] as Array<{ text: string }>).map(m => m.text), ['back'])
    assert.deepEqual((local.resumed.presence as Array<{ event: string, user: string }>).map(m => `${m.event} ${m.user}`), ['join bob', 'leave bob'])
  })

  it('a login whose name claim is answered after its connection closed leaves the name free', async t => {
    const h = new Harness(t)
    let engine: DeferredEngine | undefined
    let release!: () => void
    // A short heartbeat: the server drops the silent connection (and sees it close) while its claim is held.
    const server = createServer({
      heartbeatIntervalMs: 50,
      heartbeatTimeoutMs: 200,
      engine: context => {
        engine = new DeferredEngine(context)
        engine.claimGate = new Promise(resolve => { release = resolve })
        return engine
      }
    })
    const gone = await h.connect(server, 'gone')
    gone.send({ type: 'hello', v: 1, req: 1, username: 'alice' })
    await waitUntil(() => engine !== undefined && engine.claims === 1, 'the login to ask for its name')
    // The claim is in flight: the connection vanishes (the server's reading of it is paused meanwhile, so
    // the heartbeat is what ends it), and only then does the claim succeed.
    gone.destroy()
    await waitUntil(() => server.stats().connections === 0, 'the server to drop the connection')
    engine!.claimGate = undefined
    release()
    await waitUntil(() => engine!.deferred >= 2, 'the claim to be answered')
    await new Promise(resolve => setImmediate(resolve))
    assert.equal(server.stats().users, 0, 'no one holds the name')
    const alice = await h.connect(server, 'alice')
    assert.equal((await alice.login('alice')).type, 'welcome')
  })
})
