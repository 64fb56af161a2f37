import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame } from '@chat/protocol'
import type { ChatMessage } from '@chat/protocol'
import { Harness } from '@chat/testing'
import { createServer } from '../src/index.js'

describe('rooms', () => {
  it('join replies joined with the members, and tells the others but not the joiner', async t => {
    const h = new Harness(t)
    const server = createServer()
    const alice = await h.user(server, 'alice')
    const bob = await h.user(server, 'bob')
    const carol = await h.user(server, 'carol')

    assert.deepEqual(await alice.request({ type: 'join', room: 'general' }),
      { type: 'joined', re: 2, room: 'general', members: ['alice'], lastId: 0 })
    const joined = await bob.request({ type: 'join', room: 'general' })
    assert.equal(joined.type, 'joined')
    assert.deepEqual(joined.type === 'joined' && joined.members, ['alice', 'bob'])
    assert.deepEqual(await alice.nextOfType('presence'),
      { type: 'presence', event: 'join', room: 'general', user: 'bob' })

    await carol.join('general')
    assert.deepEqual(await alice.nextOfType('presence'), { type: 'presence', event: 'join', room: 'general', user: 'carol' })
    assert.deepEqual(await bob.nextOfType('presence'), { type: 'presence', event: 'join', room: 'general', user: 'carol' })

    // Joining again is a no-op that still replies, and announces nothing.
    const again = await carol.request({ type: 'join', room: 'general' })
    assert.deepEqual(again.type === 'joined' && again.members, ['alice', 'bob', 'carol'])

    for (const client of [alice, bob, carol]) await client.sync()
    assert.deepEqual(carol.received.filter(m => m.type === 'presence'), [], 'carol never hears of her own join')
    assert.equal(bob.received.filter(m => m.type === 'presence').length, 1, 'bob hears only of carol')
    assert.equal(alice.received.filter(m => m.type === 'presence').length, 2, 'alice hears of bob and carol, once each')
  })

  it('rooms above presenceLimit do not announce joins and leaves; smaller ones do', async t => {
    const h = new Harness(t)
    const server = createServer({ presenceLimit: 2 })
    const alice = await h.user(server, 'alice')
    const bob = await h.user(server, 'bob')
    const carol = await h.user(server, 'carol')
    await alice.join('big')
    await bob.join('big') // 2 members: announced
    assert.deepEqual(await alice.nextOfType('presence'), { type: 'presence', event: 'join', room: 'big', user: 'bob' })
    // 3 members: past the limit. The reply names no one (the list would not be kept up to date); `members` does.
    assert.deepEqual(await carol.request({ type: 'join', room: 'big' }),
      { type: 'joined', re: carol.req() - 1, room: 'big', members: [], lastId: 0, truncated: true })
    assert.deepEqual(await carol.request({ type: 'members', room: 'big' }),
      { type: 'member_list', re: carol.req() - 1, room: 'big', members: ['alice', 'bob', 'carol'] })
    await bob.request({ type: 'leave', room: 'big' }) // 3 members before it: not announced either
    await carol.request({ type: 'leave', room: 'big' }) // 2 before it: announced
    assert.deepEqual(await alice.nextOfType('presence'), { type: 'presence', event: 'leave', room: 'big', user: 'carol', reason: 'left' })
    await alice.sync()
    assert.deepEqual(alice.received.filter(m => m.type === 'presence').map(m => m.type === 'presence' && `${m.event} ${m.user}`),
      ['join bob', 'leave carol'])
  })

  // In memory, and once over TCP: the smoke test of login, rooms and fan-out through the real listener.
  for (const over of ['memory', 'TCP'] as const) {
    it(`delivers a room message to every member, the sender first gets msg then ack${over === 'TCP' ? ', over TCP' : ''}`, async t => {
      const h = new Harness(t)
      const server = createServer()
      const target = over === 'TCP' ? (await h.serve(server)).port : server
      const [alice, bob, carol] = await h.usersIn(target, 'general', 'alice', 'bob', 'carol')
      const [dave] = await h.usersIn(target, 'random', 'dave')

      const req = alice.req()
      alice.send({ type: 'send', req, room: 'general', text: 'hello, world' })
      const ack = await alice.nextOfType('ack', m => m.re === req)
      const own = alice.received.find((m): m is ChatMessage => m.type === 'msg')
      assert.ok(own !== undefined, 'the sender receives its own message')
      assert.ok(alice.received.indexOf(own) < alice.received.indexOf(ack), 'msg comes before ack')
      assert.equal(ack.id, own.id)
      assert.equal(ack.ts, own.ts)
      assert.equal(ack.id, 1)
      assert.ok(Math.abs(own.ts - Date.now()) < 60_000, 'ts is a wall-clock time in ms')

      for (const member of [bob, carol]) {
        const msg = await member.nextOfType('msg')
        assert.deepEqual(msg, { type: 'msg', id: 1, room: 'general', from: 'alice', text: 'hello, world', ts: own.ts })
      }
      // Everything queued for dave before his pong has arrived: no msg among it.
      await dave.sync()
      assert.deepEqual(dave.received.filter(m => m.type === 'msg'), [])
    })
  }

  it('sends pipelined in one write are all acknowledged, in order, each after its message', async t => {
    const h = new Harness(t)
    const server = createServer()
    const [alice, bob] = await h.usersIn(server, 'general', 'alice', 'bob')
    const count = 300 // one commit's worth: their acks go out together
    const reqs = new Map<typeof alice, number[]>()
    for (const client of [alice, bob]) {
      const mine = Array.from({ length: count }, () => client.req())
      reqs.set(client, mine)
      client.sendRaw(Buffer.concat(mine.map((req, i) => encodeFrame({ type: 'send', req, room: 'general', text: `${client.name} ${i}` }))))
    }
    for (const client of [alice, bob]) {
      const mine = reqs.get(client)!
      await client.nextOfType('ack', m => m.re === mine[count - 1])
      const acks = client.received.filter(m => m.type === 'ack')
      assert.deepEqual(acks.map(a => a.re), mine, 'every send acknowledged, in request order')
      const msgs = client.received.filter((m): m is ChatMessage => m.type === 'msg')
      for (const ack of acks) {
        if (ack.type !== 'ack') continue
        const own = msgs.find(m => m.id === ack.id)
        assert.ok(own !== undefined && own.from === client.name && own.ts === ack.ts, `ack ${ack.re} names its message`)
        assert.ok(client.received.indexOf(own) < client.received.indexOf(ack), 'the message comes before its ack')
      }
    }
    await alice.sync()
    assert.deepEqual(alice.received.filter((m): m is ChatMessage => m.type === 'msg').map(m => m.id), [...Array(2 * count).keys()].map(i => i + 1))
  })

  it('numbers messages 1, 2, 3 per room, independently', async t => {
    const h = new Harness(t)
    const server = createServer()
    const [alice, bob] = await h.usersIn(server, ['one', 'two'], 'alice', 'bob')

    const acks: Array<[string, number]> = []
    for (const [client, room] of [[alice, 'one'], [bob, 'one'], [alice, 'two'], [alice, 'one'], [bob, 'two']] as const) {
      const ack = await client.request({ type: 'send', room, text: `to ${room}` })
      assert.equal(ack.type, 'ack')
      acks.push([room, ack.type === 'ack' ? ack.id : -1])
    }
    assert.deepEqual(acks, [['one', 1], ['one', 2], ['two', 1], ['one', 3], ['two', 2]])

    await alice.sync()
    await bob.sync()
    for (const client of [alice, bob]) {
      const seen = client.received.filter((m): m is ChatMessage => m.type === 'msg').map(m => `${m.room}#${m.id}`)
      assert.deepEqual(seen, ['one#1', 'one#2', 'two#1', 'one#3', 'two#2'], client.name)
    }
  })

  it('leave replies left and tells the others with reason left', async t => {
    const h = new Harness(t)
    const server = createServer()
    const [alice, bob] = await h.usersIn(server, 'general', 'alice', 'bob')
    await alice.nextOfType('presence')

    assert.deepEqual(await bob.request({ type: 'leave', room: 'general' }), { type: 'left', re: 3, room: 'general' })
    assert.deepEqual(await alice.nextOfType('presence'),
      { type: 'presence', event: 'leave', room: 'general', user: 'bob', reason: 'left' })

    // No longer a member: bob can't send there and gets nothing sent there.
    const refused = await bob.request({ type: 'send', room: 'general', text: 'hi' })
    assert.equal(refused.type === 'error' && refused.code, 'not_member')
    const ack = await alice.request({ type: 'send', room: 'general', text: 'still here' })
    assert.equal(ack.type, 'ack')
    await bob.sync()
    assert.deepEqual(bob.received.filter(m => m.type === 'msg'), [])

    // Leaving a room one is not in is refused.
    const notMember = await bob.request({ type: 'leave', room: 'general' })
    assert.equal(notMember.type === 'error' && notMember.code, 'not_member')
    assert.notEqual(notMember.type === 'error' && notMember.fatal, true)
  })

  it('refuses a send to a room not joined with not_member', async t => {
    const h = new Harness(t)
    const server = createServer()
    const alice = await h.user(server, 'alice')
    const bob = await h.user(server, 'bob')
    await bob.join('private')
    for (const room of ['private', 'nobody-here']) {
      const reply = await alice.request({ type: 'send', room, text: 'hi' })
      assert.equal(reply.type, 'error', room)
      assert.equal(reply.type === 'error' && reply.code, 'not_member', room)
      assert.notEqual(reply.type === 'error' && reply.fatal, true)
    }
    await bob.sync()
    assert.deepEqual(bob.received.filter(m => m.type === 'msg'), [])
    assert.equal(alice.isClosed, false)
  })

  it('lists rooms with their member counts, and members of a room', async t => {
    const h = new Harness(t)
    const server = createServer()
    const alice = await h.user(server, 'alice')
    const bob = await h.user(server, 'Bob')
    assert.deepEqual(await alice.request({ type: 'rooms' }), { type: 'room_list', re: 2, rooms: [] })
    await alice.join('zeta')
    await alice.join('alpha')
    await bob.join('alpha')

    const list = await bob.request({ type: 'rooms' })
    assert.equal(list.type, 'room_list')
    assert.deepEqual(list.type === 'room_list' && list.rooms, [{ room: 'alpha', members: 2 }, { room: 'zeta', members: 1 }])

    assert.deepEqual(await bob.request({ type: 'members', room: 'alpha' }),
      { type: 'member_list', re: 4, room: 'alpha', members: ['alice', 'Bob'] })
    // Members of a room one is not in can be listed too.
    const zeta = await bob.request({ type: 'members', room: 'zeta' })
    assert.deepEqual(zeta.type === 'member_list' && zeta.members, ['alice'])

    // An emptied room goes away.
    await alice.request({ type: 'leave', room: 'zeta' })
    const after = await bob.request({ type: 'rooms' })
    assert.deepEqual(after.type === 'room_list' && after.rooms, [{ room: 'alpha', members: 2 }])
  })

  it('lists as many rooms as fit in one frame, the first by name, and says the list was cut', async t => {
    const h = new Harness(t)
    const maxFrameBytes = 4_096
    const server = createServer({ maxFrameBytes })
    const alice = await h.user(server, 'alice')
    const bob = await h.user(server, 'bob')
    // 300 rooms, joined in an order other than their names'; bob in every third (two members: a longer count).
    const names = Array.from({ length: 300 }, (_, i) => `room-${String((i * 7) % 300).padStart(3, '0')}`)
    for (const name of names) alice.send({ type: 'join', req: alice.req(), room: name })
    for (const name of names.filter((_, i) => i % 3 === 0)) bob.send({ type: 'join', req: bob.req(), room: name })
    await alice.sync()
    await bob.sync()
    const sorted = [...names].sort()
    const expected = (room: string): { room: string, members: number } => ({ room, members: names.indexOf(room) % 3 === 0 ? 2 : 1 })

    const check = async (live: string[]): Promise<void> => {
      const list = await alice.request({ type: 'rooms' })
      assert.ok(list.type === 'room_list')
      const n = list.rooms.length
      assert.ok(n > 50 && n < live.length, `${n} rooms listed`)
      assert.deepEqual(list.rooms, live.slice(0, n).map(expected), 'the first rooms by name')
      assert.equal(list.truncated, true)
      // As many as fit: one more would not.
      assert.throws(() => encodeFrame({ ...list, rooms: live.slice(0, n + 1).map(expected) }, maxFrameBytes))
    }
    await check(sorted)
    // Rooms emptied and made again come and go in the list.
    for (const name of sorted.slice(0, 10)) {
      await alice.request({ type: 'leave', room: name })
      if (names.indexOf(name) % 3 === 0) await bob.request({ type: 'leave', room: name })
    }
    await check(sorted.slice(10))
    for (const name of sorted.slice(0, 5)) {
      await alice.join(name)
      if (names.indexOf(name) % 3 === 0) await bob.join(name)
    }
    await check([...sorted.slice(0, 5), ...sorted.slice(10)])
  })

  it('refuses members of a room no one is in with no_such_room', async t => {
    const h = new Harness(t)
    const server = createServer()
    const alice = await h.user(server, 'alice')
    const reply = await alice.request({ type: 'members', room: 'empty' })
    assert.equal(reply.type, 'error')
    assert.equal(reply.type === 'error' && reply.code, 'no_such_room')
    assert.notEqual(reply.type === 'error' && reply.fatal, true)
    await alice.join('empty')
    const members = await alice.request({ type: 'members', room: 'empty' })
    assert.deepEqual(members.type === 'member_list' && members.members, ['alice'])
  })

  it('refuses invalid room names with invalid_name in every request that names a room, and carries on', async t => {
    const h = new Harness(t)
    const server = createServer()
    const alice = await h.user(server, 'alice')
    const invalid = ['General', 'a'.repeat(65), '', '-dash', '.dot', 'with space', 'slash/room']
    for (const room of invalid) {
      for (const request of [
        { type: 'join', room },
        { type: 'leave', room },
        { type: 'send', room, text: 'hi' },
        { type: 'members', room },
        // A bad name is a bad name, not a room you are not in.
        { type: 'history', room },
        { type: 'replay', room, after: 0 }
      ] as const) {
        const reply = await alice.request(request)
        const label = `${request.type} ${JSON.stringify(room)}`
        assert.equal(reply.type, 'error', label)
        assert.equal(reply.type === 'error' && reply.code, 'invalid_name', label)
        assert.notEqual(reply.type === 'error' && reply.fatal, true, label)
      }
    }
    // The longest valid name is fine.
    const joined = await alice.request({ type: 'join', room: 'a'.repeat(64) })
    assert.equal(joined.type, 'joined')
    const rooms = await alice.request({ type: 'rooms' })
    assert.deepEqual(rooms.type === 'room_list' && rooms.rooms, [{ room: 'a'.repeat(64), members: 1 }])
  })
})
