import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { ServerMessage, TypingEvent } from '@chat/protocol'
import { Harness, sleep } from '@chat/testing'
import type { RawClient } from '@chat/testing'
import { createServer } from '../src/index.js'
import type { ServerOptions } from '../src/index.js'

/** A server listening on loopback port 0 for this test; its TCP port. */
async function serve (h: Harness, options: ServerOptions = {}): Promise<number> {
  return (await h.serve(createServer(options), { transport: 'tcp' })).port
}

/** The typing events a client received so far, as `user active` (and where). */
function typingSeen (client: RawClient): string[] {
  return client.received.filter((m): m is TypingEvent => m.type === 'typing')
    .map(m => `${m.room ?? `to ${m.to ?? '?'}`} ${m.user} ${String(m.active)}`)
}

async function typing (client: RawClient, target: { room: string } | { to: string }, active: boolean): Promise<ServerMessage> {
  return await client.request({ type: 'typing', ...target, active })
}

function isTyping (active: boolean, user = 'alice') {
  return (m: TypingEvent): boolean => m.user === user && m.active === active
}

describe('typing indicators', () => {
  it('a start reaches the other members of the room, not the typist, and is answered ok', async t => {
    const h = new Harness(t)
    const port = await serve(h)
    const [alice, bob, carol] = await h.usersIn(port, 'general', 'alice', 'bob', 'carol')
    const [dave] = await h.usersIn(port, 'random', 'dave')
    const reply = await typing(alice, { room: 'general' }, true)
    assert.deepEqual(reply, { type: 'ok', re: reply.type === 'ok' ? reply.re : -1 })
    for (const member of [bob, carol]) {
      assert.deepEqual(await member.nextOfType('typing'), { type: 'typing', room: 'general', user: 'alice', active: true })
    }
    for (const client of [alice, dave]) await client.sync()
    assert.deepEqual(typingSeen(alice), [], 'the typist is not told')
    assert.deepEqual(typingSeen(dave), [], 'nor anyone outside the room')
  })

  it('refreshes within the second are not announced again, later ones are; once a second at most, the state as it then stands', async t => {
    const h = new Harness(t)
    const port = await serve(h)
    const [alice, bob] = await h.usersIn(port, 'general', 'alice', 'bob')
    await typing(alice, { room: 'general' }, true)
    await bob.nextOfType('typing', isTyping(true))
    await typing(alice, { room: 'general' }, true)
    await typing(alice, { room: 'general' }, true)
    await sleep(1_100)
    await bob.sync()
    assert.deepEqual(typingSeen(bob), ['general alice true'], 'refreshes within the second say nothing new')
    // A refresh after it goes out: receivers count on refreshes (their safety net ends an indicator after ~6 s without one).
    await typing(alice, { room: 'general' }, true)
    await bob.nextOfType('typing', isTyping(true))

    // Within the second after that: a stop waits for the second's end.
    const stoppedAt = Date.now()
    await typing(alice, { room: 'general' }, false)
    await bob.nextOfType('typing', isTyping(false))
    assert.ok(Date.now() - stoppedAt >= 500, `held to the end of the second (${Date.now() - stoppedAt} ms)`)

    // A second after the last announcement: a start goes out at once.
    await sleep(1_050)
    const startedAt = Date.now()
    await typing(alice, { room: 'general' }, true)
    await bob.nextOfType('typing', isTyping(true))
    assert.ok(Date.now() - startedAt < 900, 'not held back: the last event was more than a second ago')
    assert.deepEqual(typingSeen(bob), ['general alice true', 'general alice true', 'general alice false', 'general alice true'])
  })

  it('a stop and a start again within one second: only the final state counts (nothing new is announced)', async t => {
    const h = new Harness(t)
    const port = await serve(h)
    const [alice, bob] = await h.usersIn(port, 'general', 'alice', 'bob')
    await typing(alice, { room: 'general' }, true)
    await bob.nextOfType('typing', isTyping(true))
    await typing(alice, { room: 'general' }, false)
    await typing(alice, { room: 'general' }, true)
    await sleep(1_300)
    await bob.sync()
    assert.deepEqual(typingSeen(bob), ['general alice true'], 'still typing: the stop in between was never announced')

    // A start and a stop within the second: the stop comes at its end.
    const [carol, dave] = await h.usersIn(port, 'side', 'carol', 'dave')
    await typing(carol, { room: 'side' }, true)
    const startSeen = Date.now()
    await typing(carol, { room: 'side' }, false)
    await dave.nextOfType('typing', isTyping(false, 'carol'))
    assert.ok(Date.now() - startSeen >= 500, 'the stop waited for the second to end')
    assert.deepEqual(typingSeen(dave), ['side carol true', 'side carol false'])
  })

  it('an active: true not refreshed ends by itself after the timeout', async t => {
    const h = new Harness(t)
    const port = await serve(h, { typingTimeoutMs: 1_500 })
    const [alice, bob] = await h.usersIn(port, 'general', 'alice', 'bob')
    const started = Date.now()
    await typing(alice, { room: 'general' }, true)
    await bob.nextOfType('typing', isTyping(true))
    await bob.nextOfType('typing', isTyping(false))
    const after = Date.now() - started
    assert.ok(after >= 1_400 && after < 5_000, `ended after ${after} ms (timeout 1 500)`)
    // A refresh keeps it going past the timeout.
    await typing(alice, { room: 'general' }, true)
    await bob.nextOfType('typing', isTyping(true))
    for (let i = 0; i < 3; i++) {
      await sleep(700)
      await typing(alice, { room: 'general' }, true)
    }
    await bob.sync()
    assert.ok(!typingSeen(bob).slice(2).includes('general alice false'), `refreshed: not ended (${typingSeen(bob).join(', ')})`)
  })

  it('a typist whose connection vanishes is announced stopped; so is one who leaves the room', async t => {
    const h = new Harness(t)
    const port = await serve(h)
    const [alice, bob, carol] = await h.usersIn(port, 'general', 'alice', 'bob', 'carol')
    await typing(alice, { room: 'general' }, true)
    await typing(carol, { room: 'general' }, true)
    await bob.nextOfType('typing', isTyping(true))
    await bob.nextOfType('typing', isTyping(true, 'carol'))
    alice.destroy()
    assert.deepEqual(await bob.nextOfType('typing', m => m.user === 'alice'), { type: 'typing', room: 'general', user: 'alice', active: false })
    await bob.nextOfType('presence', m => m.user === 'alice' && m.event === 'leave')

    assert.equal((await carol.request({ type: 'leave', room: 'general' })).type, 'left')
    assert.deepEqual(await bob.nextOfType('typing', m => m.user === 'carol'), { type: 'typing', room: 'general', user: 'carol', active: false })
  })

  it('the typist\'s own message ends it: the others get the msg, then typing active: false', async t => {
    const h = new Harness(t)
    const port = await serve(h)
    const [alice, bob] = await h.usersIn(port, 'general', 'alice', 'bob')
    await typing(alice, { room: 'general' }, true)
    await bob.nextOfType('typing', isTyping(true))
    await sleep(1_050) // past the second: the stop is not held back
    assert.equal((await alice.request({ type: 'send', room: 'general', text: 'done typing' })).type, 'ack')
    const stop = await bob.nextOfType('typing', isTyping(false))
    const msg = bob.received.findIndex(m => m.type === 'msg' && m.text === 'done typing')
    assert.ok(msg >= 0 && msg < bob.received.indexOf(stop), 'the msg first, then the stop')

    // Held back by the second: still after the message.
    await typing(alice, { room: 'general' }, true)
    await bob.nextOfType('typing', isTyping(true))
    assert.equal((await alice.request({ type: 'send', room: 'general', text: 'again' })).type, 'ack')
    const second = await bob.nextOfType('typing', isTyping(false))
    assert.ok(bob.received.findIndex(m => m.type === 'msg' && m.text === 'again') < bob.received.indexOf(second))
    // A message with nobody typing sends nothing more.
    assert.equal((await alice.request({ type: 'send', room: 'general', text: 'plain' })).type, 'ack')
    await sleep(1_100)
    await bob.sync()
    assert.equal(typingSeen(bob).length, 4)
  })

  it('typing to a user: they are told (with their name as `to`); to someone offline: ok, nobody told; a dm ends it', async t => {
    const h = new Harness(t)
    const port = await serve(h)
    const alice = await h.user(port, 'alice')
    const bob = await h.user(port, 'Bob')
    assert.equal((await typing(alice, { to: 'bob' }, true)).type, 'ok')
    assert.deepEqual(await bob.nextOfType('typing'), { type: 'typing', to: 'Bob', user: 'alice', active: true })
    assert.equal((await typing(alice, { to: 'nobody' }, true)).type, 'ok', 'typing to someone offline is no error')
    assert.equal((await typing(alice, { to: 'alice' }, true)).type, 'ok', 'nor to oneself, which tells nobody')
    await sleep(1_050)
    assert.equal((await alice.request({ type: 'dm', to: 'bob', text: 'hi' })).type, 'ack')
    const stop = await bob.nextOfType('typing', isTyping(false))
    assert.equal(stop.to, 'Bob')
    assert.ok(bob.received.findIndex(m => m.type === 'msg' && m.text === 'hi') < bob.received.indexOf(stop), 'the dm first')
    await alice.sync()
    assert.deepEqual(typingSeen(alice), [])
  })

  it('refusals: not a member, both or neither target, bad names; not logged in', async t => {
    const h = new Harness(t)
    const port = await serve(h)
    const [alice] = await h.usersIn(port, 'general', 'alice')
    const code = async (request: Record<string, unknown>): Promise<string> => {
      const reply = await alice.request({ type: 'typing', active: true, ...request })
      return reply.type === 'error' ? reply.code : reply.type
    }
    assert.equal(await code({ room: 'elsewhere' }), 'not_member')
    assert.equal(await code({ room: 'general', to: 'bob' }), 'invalid_message')
    assert.equal(await code({}), 'invalid_message')
    assert.equal(await code({ room: 'Not A Room' }), 'invalid_name')
    assert.equal(await code({ to: 'no spaces allowed' }), 'invalid_name')
    const stranger = await h.raw(port, 'stranger')
    const reply = await stranger.request({ type: 'typing', room: 'general', active: true })
    assert.equal(reply.type === 'error' && reply.code, 'not_logged_in')
  })

  it('typing: false: the server answers as one that predates typing (unknown_type, with re), logged in or not', async t => {
    const h = new Harness(t)
    const port = await serve(h, { typing: false })
    const [alice, bob] = await h.usersIn(port, 'general', 'alice', 'bob')
    const reply = await typing(alice, { room: 'general' }, true)
    assert.deepEqual(reply, { type: 'error', re: reply.type === 'error' ? reply.re : -1, code: 'unknown_type', message: 'unknown message type "typing"' })
    const stranger = await h.raw(port, 'stranger')
    const before = await stranger.request({ type: 'typing', room: 'general', active: true })
    assert.equal(before.type === 'error' && before.code, 'unknown_type')
    // Sends still work, and nothing is told.
    assert.equal((await alice.request({ type: 'send', room: 'general', text: 'hi' })).type, 'ack')
    await bob.sync()
    assert.deepEqual(typingSeen(bob), [])
    assert.equal((await stranger.login('carol')).type, 'welcome')
  })

  it('a room above the presence limit is quiet: no typing events there (each would go to every member)', async t => {
    const h = new Harness(t)
    const port = await serve(h, { presenceLimit: 2 })
    const [alice, bob] = await h.usersIn(port, 'small', 'alice', 'bob')
    await typing(alice, { room: 'small' }, true)
    await bob.nextOfType('typing', isTyping(true))
    const [carol, dave, erin] = await h.usersIn(port, 'big', 'carol', 'dave', 'erin')
    assert.equal((await typing(carol, { room: 'big' }, true)).type, 'ok')
    await sleep(300)
    for (const client of [dave, erin]) await client.sync()
    assert.deepEqual([...typingSeen(dave), ...typingSeen(erin)], [], 'three members, limit two: nobody told')
  })

  it('the server closes with typists and receipts pending: their timers are cleared, nothing fires after the close', async t => {
    const h = new Harness(t)
    const server = createServer({ typingTimeoutMs: 300 })
    const { port } = await h.serve(server, { transport: 'tcp' })
    const [alice, bob] = await h.usersIn(port, 'general', 'alice', 'bob')
    await typing(alice, { room: 'general' }, true)
    await typing(alice, { room: 'general' }, false) // a stop waiting for the second's end
    await typing(bob, { to: 'alice' }, true) // an expiry due in 300 ms
    const before = server.counters.typingEvents
    await server.close()
    for (const client of [alice, bob]) await client.waitClosed()
    await sleep(1_200) // past the pending stop and the expiry
    assert.equal(server.counters.typingEvents, before, 'nothing announced after the close')
  })
})
