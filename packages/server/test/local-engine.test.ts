import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCodes } from '@chat/protocol'
import type { ChatMessage, ServerMessage } from '@chat/protocol'
import { DirectHandler } from '../src/direct/direct-handler.js'
import { InboxDelivery } from '../src/direct/inbox-delivery.js'
import type { OnlineUser } from '../src/engine/engine.js'
import { FairScheduler } from '../src/routing/fair-scheduler.js'
import { LoginHandler } from '../src/session/login-handler.js'
import { roomStream } from '../src/store/store.js'
import { limitCounters } from '../src/limits/limit-counters.js'
import { barrier, delivery, makeSession, World } from './units.fixture.js'
import type { WorldOptions } from './units.fixture.js'

function world (t: TestContext, options: WorldOptions = {}): World {
  const w = new World(options)
  t.after(() => { w.close() })
  return w
}

const presences = (messages: ServerMessage[]): ServerMessage[] => messages.filter(m => m.type === 'presence')
const msgs = (messages: ServerMessage[]): ChatMessage[] => messages.filter((m): m is ChatMessage => m.type === 'msg')

describe('LocalEngine.claimName', () => {
  it('takes a free name: the new session holds it, and create is told it replaces nobody', t => {
    const w = world(t)
    const link = w.connect('alice')
    const replacing: Array<OnlineUser | undefined> = []
    const claim = w.engine.claimName('alice', undefined, r => {
      replacing.push(r)
      return makeSession(link.connection, 'Alice', w.options)
    })
    assert.ok(claim !== undefined)
    assert.deepEqual(replacing, [undefined])
    assert.equal(claim.replaced, undefined)
    assert.equal(w.engine.findUser('alice'), claim.session)
    assert.equal(w.engine.userCount, 1)
  })

  it('refuses a held name to anyone without the holder\'s token (no token, a wrong one): undefined, and nothing is made', t => {
    const w = world(t)
    const alice = w.login('alice')
    const link = w.connect('intruder')
    for (const resume of [undefined, 'not-the-token', '']) {
      let created = 0
      const claim = w.engine.claimName('alice', resume, () => {
        created++
        return makeSession(link.connection, 'alice', w.options)
      })
      assert.equal(claim, undefined, `resume ${String(resume)}`)
      assert.equal(created, 0)
    }
    assert.equal(w.engine.findUser('alice'), alice.session)
    assert.equal(w.engine.userCount, 1)
  })

  it('with the holder\'s token: the new session replaces it, keeps the guest identity and takes its rooms without a word to the members', async t => {
    const w = world(t)
    const [alice, bob, carol] = await w.roomOf('general', 'alice', 'bob', 'carol')
    w.engine.join('dev', alice.session)
    w.engine.join('dev', bob.session)
    await barrier(alice, bob, carol)
    const bobPresence = presences(bob.peer.messages).length
    const carolPresence = presences(carol.peer.messages).length

    const link = w.connect('alice again')
    let replacing: OnlineUser | undefined
    const claim = w.engine.claimName('alice', alice.session.token, r => {
      replacing = r
      return makeSession(link.connection, 'alice', w.options, { identity: r?.identity })
    })
    assert.ok(claim !== undefined)
    assert.equal(replacing, alice.session, 'create is told whose place it takes')
    assert.equal(claim.replaced, alice.session)
    const fresh = claim.session
    assert.equal(fresh.identity, alice.session.identity, 'a guest keeps its identity')
    assert.equal(w.engine.findUser('alice'), fresh)
    assert.equal(w.engine.userCount, 3)

    assert.deepEqual(alice.session.rooms, new Set(), 'the replaced session is in no room')
    assert.deepEqual(fresh.rooms, new Set(['general', 'dev']))
    // In alice's place: the join order stays.
    assert.deepEqual([...w.rooms.get('general')!.members.values()], [fresh, bob.session, carol.session])
    assert.deepEqual([...w.rooms.get('dev')!.members.values()], [fresh, bob.session])

    link.session = fresh
    await barrier(alice, bob, carol, link)
    assert.equal(presences(bob.peer.messages).length, bobPresence, 'bob heard of no leave or join')
    assert.equal(presences(carol.peer.messages).length, carolPresence, 'carol heard of no leave or join')
    assert.deepEqual(presences(link.peer.messages), [])
  })

  it('releaseName frees the name of its holder only: a replaced session\'s release changes nothing', t => {
    const w = world(t)
    const alice = w.login('alice')
    const again = w.login('alice', { resume: alice.session.token })
    assert.equal(again.replaced, alice.session)
    w.engine.releaseName(alice.session)
    assert.equal(w.engine.findUser('alice'), again.session)
    assert.equal(w.engine.userCount, 1)
    w.engine.releaseName(again.session)
    assert.equal(w.engine.findUser('alice'), undefined)
    assert.equal(w.engine.userCount, 0)
    // Free again: anyone may take it.
    assert.ok(w.engine.claimName('alice', undefined, () => makeSession(w.connect('x').connection, 'alice', w.options)) !== undefined)
  })

  it('a direct message on its way to a session when it is replaced reaches the session that replaced it', async t => {
    // Real handlers, wired as ChatServer wires them.
    const w = world(t)
    const inbox = new InboxDelivery(w.options, w.store, w.engine, new FairScheduler())
    const login = new LoginHandler(w.options, w.store, w.engine, inbox.loggedIn, limitCounters())
    const direct = new DirectHandler(w.options, w.store, w.engine, w.keys, w.intake)

    const first = w.connect('alice 1')
    login.login(first.connection, { type: 'hello', v: 1, req: 1, username: 'alice' })
    const welcome = await first.peer.reply(1)
    assert.equal(welcome.type, 'welcome')
    const token = (welcome as { session: string }).session
    const bob = w.connect('bob')
    login.login(bob.connection, { type: 'hello', v: 1, req: 1, username: 'bob' })
    await bob.peer.reply(1)

    // In one turn: bob's message to alice is accepted, then alice resumes on a new connection.
    const second = w.connect('alice 2')
    void direct.send(bob.connection.session!, { type: 'dm', req: 2, to: 'alice', text: 'are you there?' })
    login.login(second.connection, { type: 'hello', v: 1, req: 1, username: 'alice', resume: token })

    const ack = await bob.peer.reply(2)
    assert.equal(ack.type, 'ack')
    await second.peer.reply(1)
    await barrier(second)
    assert.deepEqual(msgs(second.peer.messages).map(m => m.text), ['are you there?'])
  })
})

describe('LocalEngine.join', () => {
  it('returns added, size, the names and lastId (the store\'s committed last id of the room)', async t => {
    const w = world(t, { maxListedMembers: 2 })
    w.store.seed(roomStream('general'), 5)
    const [alice, bob, carol] = [w.login('alice'), w.login('bob'), w.login('carol')]
    assert.deepEqual(w.engine.join('general', alice.session), { added: true, size: 1, names: ['alice'], lastId: 5 })
    assert.deepEqual(w.engine.join('general', bob.session), { added: true, size: 2, names: ['alice', 'bob'], lastId: 5 })
    assert.deepEqual(w.engine.join('general', carol.session), { added: true, size: 3, names: ['alice', 'bob'], lastId: 5 }, 'names listed up to maxListedMembers')
    assert.deepEqual(w.engine.join('general', bob.session), { added: false, size: 3, names: ['alice', 'bob'], lastId: 5 }, 'joining again changes nothing')
    assert.deepEqual(w.engine.join('empty', alice.session), { added: true, size: 1, names: ['alice'], lastId: 0 })
    assert.deepEqual(alice.session.rooms, new Set(['general', 'empty']))
  })

  it('announces a join to the other members, not to the joiner, and not a second time', async t => {
    const w = world(t)
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    const carol = w.login('carol')
    w.engine.join('general', carol.session)
    w.engine.join('general', carol.session)
    await barrier(alice, bob, carol)
    const join = { type: 'presence', event: 'join', room: 'general', user: 'carol' }
    assert.deepEqual(presences(alice.peer.messages).slice(-1), [join])
    assert.deepEqual(presences(bob.peer.messages).slice(-1), [join])
    assert.equal(presences(alice.peer.messages).filter(m => (m as { user: string }).user === 'carol').length, 1)
    assert.deepEqual(presences(carol.peer.messages), [], 'the joiner is not told of itself')
  })

  it('above presenceLimit announces nothing and lists no names', async t => {
    const w = world(t, { presenceLimit: 2 })
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    const carol = w.login('carol')
    const before = presences(alice.peer.messages).length
    const joined = w.engine.join('general', carol.session)
    assert.deepEqual(joined, { added: true, size: 3, names: [], lastId: 0 })
    await barrier(alice, bob, carol)
    assert.equal(presences(alice.peer.messages).length, before)
    assert.deepEqual(presences(bob.peer.messages).filter(m => (m as { user: string }).user === 'carol'), [])
    // At the limit itself a join is still announced (bob's join made the room 2 = the limit).
    assert.deepEqual(presences(alice.peer.messages), [{ type: 'presence', event: 'join', room: 'general', user: 'bob' }])
  })

  it('lastId counts committed messages only; a member joining while one is being written gets it at its commit', async t => {
    const w = world(t)
    w.store.seed(roomStream('general'), 3)
    const [alice] = await w.roomOf('general', 'alice')
    const bob = w.login('bob')
    w.engine.publish(delivery(alice.session, 1, 'in flight', { room: 'general' }))
    assert.equal(w.engine.join('general', bob.session).lastId, 3)
    const message = await bob.peer.first(m => m.type === 'msg', 'the message written while bob joined')
    assert.deepEqual({ ...message, ts: 0 }, { type: 'msg', id: 4, room: 'general', from: 'alice', text: 'in flight', ts: 0 })
  })
})

describe('LocalEngine.leave', () => {
  it('announces a leave with its reason to the members left, and not to the leaver', async t => {
    const w = world(t)
    const [alice, bob, carol] = await w.roomOf('general', 'alice', 'bob', 'carol')
    w.engine.leave('general', bob.session, 'left')
    w.engine.leave('general', carol.session, 'disconnected')
    await barrier(alice, bob, carol)
    assert.deepEqual(presences(alice.peer.messages).slice(-2), [
      { type: 'presence', event: 'leave', room: 'general', user: 'bob', reason: 'left' },
      { type: 'presence', event: 'leave', room: 'general', user: 'carol', reason: 'disconnected' }
    ])
    assert.ok(!presences(bob.peer.messages).some(m => m.type === 'presence' && m.event === 'leave' && m.user === 'bob'))
    assert.deepEqual(presences(carol.peer.messages).filter(m => m.type === 'presence' && m.event === 'leave'), [
      { type: 'presence', event: 'leave', room: 'general', user: 'bob', reason: 'left' }
    ], 'carol heard of bob, who left before her, and not of herself')
    assert.deepEqual(bob.session.rooms, new Set())
  })

  it('drops a room nobody is left in from roomList and members', t => {
    const w = world(t)
    const alice = w.login('alice')
    w.engine.join('general', alice.session)
    w.engine.join('dev', alice.session)
    w.engine.leave('general', alice.session, 'quit')
    assert.deepEqual(w.engine.roomList(), [{ room: 'dev', members: 1 }])
    assert.equal(w.engine.members('general', 10), undefined)
    assert.equal(w.rooms.get('general'), undefined)
  })

  it('stays quiet while the room left is at or above presenceLimit, and speaks again below it', async t => {
    const w = world(t, { presenceLimit: 2 })
    const [alice, bob, carol] = await w.roomOf('general', 'alice', 'bob', 'carol') // carol's join was quiet
    const before = [alice, bob].map(c => presences(c.peer.messages).length)
    w.engine.leave('general', carol.session, 'left') // 2 left: at the limit
    await barrier(alice, bob)
    assert.deepEqual([alice, bob].map(c => presences(c.peer.messages).length), before)
    w.engine.leave('general', bob.session, 'quit') // 1 left: below it
    await barrier(alice)
    assert.deepEqual(presences(alice.peer.messages).slice(-1), [{ type: 'presence', event: 'leave', room: 'general', user: 'bob', reason: 'quit' }])
  })

  it('does nothing for a session that is not a member', async t => {
    const w = world(t)
    const [alice] = await w.roomOf('general', 'alice')
    const bob = w.login('bob')
    const before = alice.peer.messages.length
    w.engine.leave('general', bob.session, 'left')
    w.engine.leave('nowhere', bob.session, 'left')
    await barrier(alice)
    assert.equal(alice.peer.messages.length, before)
    assert.deepEqual(w.engine.roomList(), [{ room: 'general', members: 1 }])
  })
})

describe('LocalEngine.members and roomList', () => {
  it('members: the first names in join order, at most the limit, and the size', t => {
    const w = world(t)
    const names = ['dave', 'alice', 'carol', 'bob']
    for (const name of names) w.engine.join('general', w.login(name).session)
    assert.deepEqual(w.engine.members('general', 10), { names, size: 4 })
    assert.deepEqual(w.engine.members('general', 2), { names: ['dave', 'alice'], size: 4 })
    assert.deepEqual(w.engine.members('general', 0), { names: [], size: 4 })
    assert.equal(w.engine.members('nobody-here', 10), undefined)
  })

  it('roomList: the rooms with members, by name, with their sizes', t => {
    const w = world(t)
    const [a, b] = [w.login('a'), w.login('b')]
    assert.deepEqual(w.engine.roomList(), [])
    for (const room of ['zeta', 'alpha', 'mid']) w.engine.join(room, a.session)
    w.engine.join('mid', b.session)
    assert.deepEqual(w.engine.roomList(), [{ room: 'alpha', members: 1 }, { room: 'mid', members: 2 }, { room: 'zeta', members: 1 }])
  })
})

describe('LocalEngine.publish', () => {
  it('gives ids per stream, continuing from the store\'s lastId', async t => {
    const w = world(t)
    w.store.seed(roomStream('a'), 5)
    const alice = w.login('alice')
    w.engine.join('a', alice.session)
    w.engine.join('b', alice.session)
    const sent = [delivery(alice.session, 1, 'a1', { room: 'a' }), delivery(alice.session, 2, 'b1', { room: 'b' }), delivery(alice.session, 3, 'a2', { room: 'a' })]
    for (const d of sent) w.engine.publish(d)
    assert.deepEqual(sent.map(d => d.message.id), [6, 1, 7])
    await alice.peer.reply(3)
    w.engine.publish(delivery(alice.session, 4, 'a3', { room: 'a' }))
    const ack = await alice.peer.reply(4)
    assert.deepEqual({ ...ack, ts: 0 }, { type: 'ack', re: 4, id: 8, ts: 0 })
  })

  it('commits what is published in one turn as one batch (one append), and delivers it in publish order', async t => {
    const w = world(t)
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    w.engine.join('dev', bob.session)
    const texts = ['one', 'two', 'three', 'four']
    w.engine.publish(delivery(alice.session, 1, texts[0], { room: 'general' }))
    w.engine.publish(delivery(bob.session, 2, 'elsewhere', { room: 'dev' }))
    w.engine.publish(delivery(alice.session, 3, texts[1], { room: 'general' }))
    w.engine.publish(delivery(bob.session, 4, texts[2], { room: 'general' }))
    w.engine.publish(delivery(alice.session, 5, texts[3], { target: bob.session }))
    assert.equal(w.store.appends.length, 0, 'nothing is written before the turn ends')
    await alice.peer.reply(5)
    await bob.peer.reply(4)
    assert.equal(w.store.appends.length, 1)
    assert.deepEqual(w.store.appends[0].map(write => write.message.text), ['one', 'elsewhere', 'two', 'three', 'four'])
    await barrier(alice, bob)
    assert.deepEqual(msgs(alice.peer.messages).map(m => m.text), ['one', 'two', 'three'])
    assert.deepEqual(msgs(bob.peer.messages).filter(m => m.room === 'general').map(m => m.text), ['one', 'two', 'three'])
    assert.deepEqual(msgs(bob.peer.messages).filter(m => m.to !== undefined).map(m => m.text), ['four'])

    // The next turn's messages are the next batch.
    w.engine.publish(delivery(alice.session, 6, 'later', { room: 'general' }))
    await alice.peer.reply(6)
    assert.equal(w.store.appends.length, 2)
    assert.deepEqual(w.store.appends[1].map(write => write.message.text), ['later'])
  })

  it('after a failed commit: storage_error to the senders, nothing delivered, and the ids are given again', async t => {
    const w = world(t)
    w.store.seed(roomStream('general'), 5)
    const [alice, bob] = await w.roomOf('general', 'alice', 'bob')
    w.store.failNext = 1
    const failed = [delivery(alice.session, 1, 'lost 1', { room: 'general' }), delivery(bob.session, 2, 'lost 2', { room: 'general' })]
    for (const d of failed) w.engine.publish(d)
    assert.deepEqual(failed.map(d => d.message.id), [6, 7])
    for (const [client, re] of [[alice, 1], [bob, 2]] as const) {
      const reply = await client.peer.reply(re)
      assert.equal(reply.type, 'error')
      assert.equal((reply as { code: string }).code, ErrorCodes.STORAGE_ERROR)
      assert.equal((reply as { fatal?: boolean }).fatal, undefined, 'the connection carries on')
    }
    await barrier(alice, bob)
    assert.deepEqual(msgs(alice.peer.messages), [])
    assert.deepEqual(msgs(bob.peer.messages), [])
    assert.equal(w.store.lastId(roomStream('general')), 5)

    const next = delivery(alice.session, 3, 'kept', { room: 'general' })
    w.engine.publish(next)
    assert.equal(next.message.id, 6, 'the failed ids were never used: read again from the store')
    const message = await bob.peer.first(m => m.type === 'msg', 'the message after the failure')
    assert.equal((message as ChatMessage).id, 6)
    assert.equal((message as ChatMessage).text, 'kept')
  })

  it('flush commits what is waiting at once', t => {
    const w = world(t)
    const alice = w.login('alice')
    w.engine.join('general', alice.session)
    w.engine.publish(delivery(alice.session, 1, 'now', { room: 'general' }))
    w.engine.flush()
    assert.equal(w.store.appends.length, 1)
    assert.equal(w.store.lastId(roomStream('general')), 1)
  })
})
