import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame, ErrorCodes } from '@chat/protocol'
import type { AckMessage, ErrorMessage, PresenceMessage, ServerMessage } from '@chat/protocol'
import type { Delivery } from '../src/commit/delivery.js'
import { FanOut } from '../src/commit/fan-out.js'
import { ServerCounters } from '../src/ops/server-counters.js'
import { barrier, delivery, referenceFrame, World } from './units.fixture.js'
import type { Client } from './units.fixture.js'

/** The size of an ack's frame. */
const referenceAckBytes = (ack: AckMessage): number => encodeFrame(ack).length

function world (t: TestContext): World {
  const w = new World()
  t.after(() => { w.close() })
  return w
}

/** Texts that take every path of the frame template: plain ASCII, escapes, non-ASCII, astral, control, empty. */
const TEXTS = ['plain', 'say "hi" \\o/', 'héllo wörld', '🎉 party', 'tab\tand\u0001', '', 'x'.repeat(300)]

/** The chunk that holds the first message of this type on the client. */
function chunkOfFirst (client: Client, type: ServerMessage['type']): Buffer {
  const index = client.peer.messages.findIndex(m => m.type === type)
  assert.ok(index >= 0, `${client.name} got no ${type}`)
  return client.peer.chunks[client.peer.chunkOf[index]]
}

/** Everything the client got from the first `msg` on (after the setup's presence frames). */
function fromFirstMsg (client: Client): ServerMessage[] {
  return client.peer.messages.slice(client.peer.messages.findIndex(m => m.type === 'msg'))
}

describe('FanOut.committed', () => {
  it('sends a room\'s frames of a commit to every member as the same bytes, in one chunk: encodeFrame of each message, concatenated', async t => {
    const w = world(t)
    const [alice, bob, carol] = await w.roomOf('general', 'alice', 'bob', 'carol')
    const [dave] = await w.roomOf('dev', 'dave')
    const batch: Delivery[] = TEXTS.map((text, i) => delivery(i % 2 === 0 ? alice.session : bob.session, i + 1, text, { room: 'general' }, i + 1))
    batch.splice(3, 0, delivery(dave.session, 1, 'elsewhere', { room: 'dev' }, 1))
    w.fanOut.committed(batch)
    await barrier(alice, bob, carol, dave)

    const expected = Buffer.concat(batch.filter(d => d.room === 'general').map(d => referenceFrame(d.message)))
    assert.deepEqual(chunkOfFirst(carol, 'msg'), expected, 'a member that sent nothing: exactly the room\'s bytes')
    for (const sender of [alice, bob]) {
      // A sender's acks were queued right behind, in the same run: the transport got them as one write.
      assert.deepEqual(chunkOfFirst(sender, 'msg').subarray(0, expected.length), expected, sender.name)
    }
    assert.deepEqual(chunkOfFirst(dave, 'msg').subarray(0, referenceFrame(batch[3].message).length), referenceFrame(batch[3].message))
    assert.deepEqual(carol.peer.ofType('msg').map(m => m.text), TEXTS)
    assert.deepEqual(dave.peer.ofType('msg').map(m => m.text), ['elsewhere'])
  })

  it('a sender gets its message before its ack; the acks of one sender\'s sends in a commit come together, in order', async t => {
    const w = world(t)
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    const batch = [
      delivery(alice.session, 10, 'a', { room: 'general' }, 1),
      delivery(bob.session, 20, 'b', { room: 'general' }, 2),
      delivery(alice.session, 11, 'c', { room: 'general' }, 3),
      delivery(alice.session, 12, 'd', { room: 'general' }, 4)
    ]
    w.fanOut.committed(batch)
    await barrier(alice, bob)
    const got = fromFirstMsg(alice)
    assert.deepEqual(got.map(m => m.type === 'msg' ? `msg ${m.id}` : m.type === 'ack' ? `ack ${m.re}` : m.type), ['msg 1', 'msg 2', 'msg 3', 'msg 4', 'ack 10', 'ack 11', 'ack 12'])
    const chunks = new Set(got.map(m => alice.peer.chunkOf[alice.peer.messages.indexOf(m)]))
    assert.equal(chunks.size, 1, 'one chunk')
    assert.deepEqual(got.filter(m => m.type === 'ack'), batch.filter(d => d.sender === alice.session).map(d => ({ type: 'ack', re: d.req, id: d.message.id, ts: d.message.ts })))
    assert.deepEqual(fromFirstMsg(bob).map(m => m.type === 'msg' ? `msg ${m.id}` : m.type === 'ack' ? `ack ${m.re}` : m.type), ['msg 1', 'msg 2', 'msg 3', 'msg 4', 'ack 20'])
  })

  it('acks of direct messages alone come as one chunk of acks, in order, with stored for an offline recipient\'s inbox', async t => {
    const w = world(t)
    const alice = w.login('alice')
    const bob = w.login('bob')
    w.fanOut.committed([
      delivery(alice.session, 1, 'one', { target: bob.session }, 1),
      delivery(alice.session, 2, 'kept', { inboxFor: 'carol', to: 'Carol' }, 1),
      delivery(alice.session, 3, 'two', { target: bob.session }, 2)
    ])
    await barrier(alice, bob)
    const acks = alice.peer.messages as AckMessage[]
    assert.deepEqual(acks.map(a => [a.type, a.re, a.id, a.stored]), [['ack', 1, 1, undefined], ['ack', 2, 1, true], ['ack', 3, 2, undefined]])
    assert.deepEqual(alice.peer.chunkOf, [0, 0, 0], 'one chunk, of acks only')
    assert.equal(alice.peer.chunks[0].length, acks.reduce((bytes, a) => bytes + referenceAckBytes(a), 0))
    assert.deepEqual(bob.peer.ofType('msg').map(m => [m.to, m.from, m.text, m.id]), [['bob', 'alice', 'one', 1], ['bob', 'alice', 'two', 2]])
  })

  it('hands a direct message to its target and remembers it for a resume (takeRecentDirect), once', async t => {
    const w = world(t)
    const alice = w.login('alice')
    const bob = w.login('bob')
    const batch = [delivery(alice.session, 1, 'first', { target: bob.session }, 1), delivery(alice.session, 2, 'sécond', { target: bob.session }, 2)]
    w.fanOut.committed(batch)
    await barrier(bob)
    assert.deepEqual(bob.peer.ofType('msg').map(m => m.text), ['first', 'sécond'])
    const remembered = bob.session.takeRecentDirect().map(frame => Buffer.from(frame))
    assert.deepEqual(remembered, batch.map(d => referenceFrame(d.message)))
    assert.deepEqual(bob.session.takeRecentDirect(), [], 'taken once')
    assert.deepEqual(alice.session.takeRecentDirect(), [], 'the sender remembers nothing')
  })

  it('a direct message to yourself: the msg, then the ack', async t => {
    const w = world(t)
    const alice = w.login('alice')
    w.fanOut.committed([delivery(alice.session, 7, 'note to self', { target: alice.session }, 1)])
    await barrier(alice)
    assert.deepEqual(alice.peer.messages.map(m => m.type === 'ack' ? `ack ${m.re}` : m.type), ['msg', 'ack 7'])
  })

  it('delivers to the members at the commit: one who left meanwhile gets nothing, and a room nobody is in is skipped', async t => {
    const w = world(t)
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    const gone = w.login('gone')
    w.engine.join('empty', gone.session)
    w.engine.leave('general', bob.session, 'left')
    w.engine.leave('empty', gone.session, 'left')
    w.fanOut.committed([delivery(alice.session, 1, 'after bob left', { room: 'general' }, 1), delivery(gone.session, 1, 'to nobody', { room: 'empty' }, 1)])
    await barrier(alice, bob, gone)
    assert.deepEqual(alice.peer.ofType('msg').map(m => m.text), ['after bob left'])
    assert.deepEqual(bob.peer.ofType('msg'), [])
    assert.deepEqual(gone.peer.messages.map(m => m.type === 'ack' ? `ack ${m.re}` : m.type), ['ack 1'], 'still acknowledged: it is stored')
  })

  it('a delivery the engine marked duplicateOf (its key was stored before): the sender and its retries acked with that id and ts; nothing stored, delivered or counted', async t => {
    const w = world(t)
    const counters = new ServerCounters()
    const fanOut = new FanOut(w.options, w.rooms, w.keys, counters)
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    const again = delivery(alice.session, 1, 'again', { room: 'general' }, 9)
    w.keys.track(again, 'key-1')
    assert.equal(w.keys.answered(alice.session, 2, 'key-1', 'send'), true, 'a retry joins it while it is written')
    again.duplicateOf = { id: 4, ts: 1_234 }
    const kept = delivery(alice.session, 3, 'kept again', { inboxFor: 'carol', to: 'Carol' }, 2)
    kept.duplicateOf = { id: 1, ts: 99 }
    fanOut.committed([again, delivery(bob.session, 7, 'new', { room: 'general' }, 10), kept])
    await barrier(alice, bob)
    assert.deepEqual(alice.peer.ofType('ack'), [{ type: 'ack', re: 1, id: 4, ts: 1_234 }, { type: 'ack', re: 2, id: 4, ts: 1_234 }, { type: 'ack', re: 3, id: 1, ts: 99 }])
    assert.deepEqual(bob.peer.ofType('ack').map(a => [a.re, a.id]), [[7, 10]])
    for (const client of [alice, bob]) assert.deepEqual(client.peer.ofType('msg').map(m => m.id), [10], `${client.name} gets the new message only`)
    assert.deepEqual([counters.commits, counters.messagesStored, counters.deliveries], [1, 1, 2])
    w.keys.checkedAtCommit = true
    assert.equal(w.keys.answered(alice.session, 4, 'key-1', 'send'), false, 'settled: the engine looks for the key at the next commit')
  })
})

describe('FanOut.failed', () => {
  it('refuses each sender and each retry with storage_error, delivers nothing, and settles the keys', async t => {
    const w = world(t)
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    const d = delivery(alice.session, 1, 'lost', { room: 'general' }, 1)
    w.keys.track(d, 'key-1')
    assert.equal(w.keys.answered(bob.session, 5, 'key-1', 'send'), false, 'bob\'s key space is his own')
    assert.equal(w.keys.answered(alice.session, 2, 'key-1', 'send'), true)
    w.fanOut.failed([d, delivery(bob.session, 9, 'lost too', { target: alice.session }, 1)], new Error('disk full'))
    await barrier(alice, bob)
    const errors = (client: Client): Array<[number | undefined, string]> => client.peer.ofType('error').map((e: ErrorMessage) => [e.re, e.code])
    assert.deepEqual(errors(alice), [[1, ErrorCodes.STORAGE_ERROR], [2, ErrorCodes.STORAGE_ERROR]])
    assert.deepEqual(errors(bob), [[9, ErrorCodes.STORAGE_ERROR]])
    assert.deepEqual([...alice.peer.ofType('msg'), ...bob.peer.ofType('msg')], [])
    assert.equal(w.keys.answered(alice.session, 3, 'key-1', 'send'), false, 'settled: a new try is a new send')
  })
})

describe('FanOut.presence', () => {
  it('tells every member of the room but `except`, and nobody for a room without members', async t => {
    const w = world(t)
    const [alice, bob, carol] = await w.roomOf('general', 'alice', 'bob', 'carol')
    const before = [alice, bob, carol].map(c => c.peer.ofType('presence').length)
    const event: PresenceMessage = { type: 'presence', event: 'join', room: 'general', user: 'alice' }
    w.fanOut.presence('general', event, alice.session)
    w.fanOut.presence('nowhere', { ...event, room: 'nowhere' })
    await barrier(alice, bob, carol)
    assert.deepEqual([alice, bob, carol].map((c, i) => c.peer.ofType('presence').length - before[i]), [0, 1, 1])
    assert.deepEqual(bob.peer.ofType('presence').at(-1), event)
    const leave: PresenceMessage = { type: 'presence', event: 'leave', room: 'general', user: 'dave', reason: 'quit' }
    w.fanOut.presence('general', leave)
    await barrier(alice, bob, carol)
    for (const c of [alice, bob, carol]) assert.deepEqual(c.peer.ofType('presence').at(-1), leave, c.name)
  })
})
