import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCodes } from '@chat/protocol'
import type { AckMessage, ErrorMessage } from '@chat/protocol'
import { roomStream } from '../src/store/store.js'
import { barrier, delivery, World } from './units.fixture.js'
import type { Client, WorldOptions } from './units.fixture.js'

function world (t: TestContext, options: WorldOptions = {}): World {
  const w = new World(options)
  t.after(() => { w.close() })
  return w
}

/** A room send as RoomHandler makes it: a retry is answered by the keys, anything else goes through the intake. */
function send (w: World, from: Client, req: number, text: string, key?: string): void {
  if (w.keys.answered(from.session, req, key, 'send')) return
  w.intake.accept(from.session, req, key, text, { stream: roomStream('general'), room: 'general' })
}

/** From here to the test's end, a lookup in the store fails the test: keys must be found by the commit. */
function forbidLookups (t: TestContext, w: World): void {
  const findByKey = w.store.findByKey.bind(w.store)
  w.store.findByKey = () => { throw new Error('the store was asked') }
  t.after(() => { w.store.findByKey = findByKey })
}

async function ackOf (client: Client, re: number): Promise<AckMessage> {
  const reply = await client.peer.reply(re)
  assert.equal(reply.type, 'ack', JSON.stringify(reply))
  return reply as AckMessage
}

describe('IdempotencyKeys', () => {
  it('refuses an empty key and one over 128 characters with invalid_message; 1 to 128 characters are fine', async t => {
    const w = world(t)
    const [alice] = await w.roomOf('general', 'alice')
    assert.equal(w.keys.answered(alice.session, 1, '', 'send'), true)
    assert.equal(w.keys.answered(alice.session, 2, 'k'.repeat(129), 'send'), true)
    for (const re of [1, 2]) {
      const reply = await alice.peer.reply(re) as ErrorMessage
      assert.equal(reply.type, 'error')
      assert.equal(reply.code, ErrorCodes.INVALID_MESSAGE)
      assert.equal(reply.fatal, undefined)
      assert.match(reply.message, /128/)
    }
    assert.equal(w.keys.answered(alice.session, 3, 'k'.repeat(128), 'send'), false)
    assert.equal(w.keys.answered(alice.session, 4, 'k', 'send'), false)
    assert.equal(w.keys.answered(alice.session, 5, undefined, 'send'), false)
    await barrier(alice)
    assert.deepEqual(alice.peer.messages.filter(m => 're' in m && (m.re as number) >= 3), [], 'a valid new key is not answered here')
  })

  it('acknowledges a retry that arrives while the first send is being written with the same id, by the same commit: one message stored and delivered', async t => {
    const w = world(t)
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    send(w, alice, 1, 'once', 'key-1')
    send(w, alice, 2, 'once', 'key-1')
    send(w, alice, 3, 'once', 'key-1')
    const [first, second, third] = [await ackOf(alice, 1), await ackOf(alice, 2), await ackOf(alice, 3)]
    assert.deepEqual([second.id, second.ts], [first.id, first.ts])
    assert.deepEqual([third.id, third.ts], [first.id, first.ts])
    assert.equal(second.stored, undefined)
    const acks = alice.peer.messages.filter(m => m.type === 'ack')
    assert.deepEqual(acks.map(a => (a as AckMessage).re), [1, 2, 3], 'in order')
    assert.equal(new Set(acks.map(a => alice.peer.chunkOf[alice.peer.messages.indexOf(a)])).size, 1, 'one commit: one chunk')
    assert.equal(w.store.appends.length, 1)
    assert.equal(w.store.appends[0].length, 1)
    assert.equal(w.store.readAfter(roomStream('general'), 0, 10).length, 1)
    await barrier(bob)
    assert.deepEqual(bob.peer.ofType('msg').map(m => [m.id, m.text]), [[first.id, 'once']])
  })

  it('on a store that does not check keys as it appends: acknowledges a retry after the commit from the store, at once, with the original id and ts', async t => {
    const w = world(t, { storeChecksKeys: false })
    assert.equal(w.keys.checkedAtCommit, false)
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    send(w, alice, 1, 'once', 'key-1')
    const original = await ackOf(alice, 1)
    assert.equal(w.keys.answered(alice.session, 2, 'key-1', 'send'), true)
    assert.deepEqual(await ackOf(alice, 2), { type: 'ack', re: 2, id: original.id, ts: original.ts })
    w.engine.flush()
    assert.equal(w.store.appends.length, 1, 'nothing written again')
    await barrier(bob)
    assert.equal(bob.peer.ofType('msg').length, 1)
  })

  it('on the built-in stores, a retry after the commit is found by the next commit, not looked up: acknowledged with the original id and ts, not stored or delivered, its id left to the next message', async t => {
    const w = world(t)
    assert.equal(w.keys.checkedAtCommit, true, 'the memory store checks keys as it appends')
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    send(w, alice, 1, 'once', 'key-1')
    const original = await ackOf(alice, 1)
    forbidLookups(t, w)
    // The retry, a new send behind it in the same commit, and a retry of that one after it.
    send(w, alice, 2, 'once', 'key-1')
    send(w, alice, 3, 'next', 'key-2')
    send(w, alice, 4, 'next', 'key-2')
    assert.deepEqual(await ackOf(alice, 2), { type: 'ack', re: 2, id: original.id, ts: original.ts })
    const next = await ackOf(alice, 3)
    assert.equal(next.id, original.id + 1, 'the retry used no id: ids stay gapless')
    assert.deepEqual(await ackOf(alice, 4), { type: 'ack', re: 4, id: next.id, ts: next.ts })
    assert.equal(w.store.appends.length, 2)
    assert.deepEqual(w.store.appends[1].map(x => x.duplicateOf), [{ id: original.id, ts: original.ts }, undefined], 'the retry reached the commit; the retry of the pending key joined it')
    assert.deepEqual(w.store.readAfter(roomStream('general'), 0, 10).map(m => [m.id, m.text]), [[1, 'once'], [2, 'next']])
    send(w, alice, 5, 'after', 'key-3')
    assert.equal((await ackOf(alice, 5)).id, next.id + 1, 'the engine\'s sequence follows what was stored')
    await barrier(bob)
    assert.deepEqual(bob.peer.ofType('msg').map(m => [m.id, m.text]), [[1, 'once'], [2, 'next'], [3, 'after']], 'the retry was not delivered')
  })

  it('as the server wires its built-in engine (a commit per turn, within it): no table of pending keys; a retry in the same commit and one after it get the original id and ts, and it is stored and delivered once', async t => {
    const w = world(t, { tracksPending: false })
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    forbidLookups(t, w)
    send(w, alice, 1, 'once', 'key-1')
    send(w, alice, 2, 'once', 'key-1')
    send(w, alice, 3, 'next', 'key-2')
    const first = await ackOf(alice, 1)
    assert.deepEqual(await ackOf(alice, 2), { type: 'ack', re: 2, id: first.id, ts: first.ts })
    assert.equal((await ackOf(alice, 3)).id, first.id + 1, 'the retry used no id')
    assert.deepEqual(w.store.appends[0].map(x => x.duplicateOf), [undefined, { id: first.id, ts: first.ts }, undefined], 'the commit found the retry among its own writes')
    send(w, alice, 4, 'once', 'key-1')
    assert.deepEqual(await ackOf(alice, 4), { type: 'ack', re: 4, id: first.id, ts: first.ts })
    await barrier(bob)
    assert.deepEqual(bob.peer.ofType('msg').map(m => [m.id, m.text]), [[1, 'once'], [2, 'next']], 'each message delivered once')
    const acks = alice.peer.messages.filter(m => m.type === 'ack').map(a => (a as AckMessage).re)
    assert.deepEqual(acks, [1, 2, 3, 4], 'acks in order')
  })

  it('keys are per user: another user\'s send with the same key is a send of its own', async t => {
    const w = world(t)
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    send(w, alice, 1, 'from alice', 'shared')
    send(w, bob, 1, 'from bob', 'shared')
    const [a, b] = [await ackOf(alice, 1), await ackOf(bob, 1)]
    assert.notEqual(a.id, b.id)
    assert.deepEqual(w.store.readAfter(roomStream('general'), 0, 10).map(m => m.text), ['from alice', 'from bob'])
  })

  it('settle: once a send\'s commit is over, retries of its key go to the store (a store that does not check keys as it appends)', async t => {
    const w = world(t, { storeChecksKeys: false })
    const [alice] = await w.roomOf('general', 'alice')
    const d = delivery(alice.session, 1, 'tracked', { room: 'general' }, 1)
    w.keys.track(d, 'key-1')
    assert.deepEqual(d.idempotency, { scope: alice.session.keyScope, key: 'key-1' })
    assert.equal(w.keys.answered(alice.session, 2, 'key-1', 'send'), true, 'pending: held for the commit')
    assert.deepEqual(d.retries?.map(r => r.req), [2])
    w.keys.settle(d)
    assert.equal(w.keys.answered(alice.session, 3, 'key-1', 'send'), false, 'settled and not in the store: a new send')
    assert.deepEqual(d.retries?.map(r => r.req), [2])
    w.store.append([d])
    assert.equal(w.keys.answered(alice.session, 4, 'key-1', 'send'), true, 'settled and stored: answered from the store')
    assert.deepEqual(await ackOf(alice, 4), { type: 'ack', re: 4, id: 1, ts: d.message.ts })
  })

  it('after a failed commit the send and its retries are refused, and the key is free for a new try', async t => {
    const w = world(t)
    const [alice] = await w.roomOf('general', 'alice')
    w.store.failNext = 1
    send(w, alice, 1, 'doomed', 'key-1')
    send(w, alice, 2, 'doomed', 'key-1')
    for (const re of [1, 2]) {
      const reply = await alice.peer.reply(re) as ErrorMessage
      assert.equal(reply.code, ErrorCodes.STORAGE_ERROR)
    }
    send(w, alice, 3, 'again', 'key-1')
    const ack = await ackOf(alice, 3)
    assert.equal(w.store.findByKey({ scope: alice.session.keyScope, key: 'key-1' })?.id, ack.id)
    assert.equal(w.store.findByKey({ scope: alice.session.keyScope, key: 'key-1' })?.text, 'again')
  })

  it('with an engine that checks keys at its commit, a stored key is not looked up (the engine reports it), a pending one still is joined', async t => {
    const w = world(t)
    const [alice] = await w.roomOf('general', 'alice')
    send(w, alice, 1, 'once', 'key-1')
    await ackOf(alice, 1)
    w.keys.checkedAtCommit = true
    forbidLookups(t, w)
    assert.equal(w.keys.answered(alice.session, 2, 'key-1', 'send'), false, 'stored, but left to the engine')
    const d = delivery(alice.session, 3, 'pending', { room: 'general' }, 2)
    w.keys.track(d, 'key-2')
    assert.equal(w.keys.answered(alice.session, 4, 'key-2', 'send'), true, 'a retry of a key being written joins it')
    assert.deepEqual(d.retries?.map(r => r.req), [4])
  })
})
