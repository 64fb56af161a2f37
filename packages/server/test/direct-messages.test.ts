import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatMessage } from '@chat/protocol'
import { Harness, waitUntil } from '@chat/testing'
import { createServer } from '../src/index.js'

describe('direct messages', () => {
  it('reach only the target, with to set and no room', async t => {
    const h = new Harness(t)
    const server = createServer()
    // Rooms in common don't matter: a DM is not a room message.
    const [alice, bob, carol] = await h.usersIn(server, 'general', 'alice', 'Bob', 'carol')

    const ack = await alice.request({ type: 'dm', to: 'bob', text: 'psst' })
    assert.equal(ack.type, 'ack')
    const msg = await bob.nextOfType('msg')
    // `to` names the target as it logged in, whatever case the sender used.
    assert.deepEqual(msg, { type: 'msg', id: ack.type === 'ack' ? ack.id : -1, to: 'Bob', from: 'alice', text: 'psst', ts: ack.type === 'ack' ? ack.ts : -1 })
    assert.equal('room' in msg, false)

    for (const client of [alice, carol]) {
      await client.sync()
      assert.deepEqual(client.received.filter(m => m.type === 'msg'), [], `${client.name} gets no copy`)
    }
  })

  it('in open mode, refuses a DM to someone not connected with user_offline', async t => {
    const h = new Harness(t)
    const server = createServer({ authMode: 'open' })
    const alice = await h.user(server, 'alice')
    const reply = await alice.request({ type: 'dm', to: 'nobody', text: 'hello?' })
    assert.equal(reply.type, 'error')
    assert.equal(reply.type === 'error' && reply.code, 'user_offline')
    assert.notEqual(reply.type === 'error' && reply.fatal, true)

    // Someone who left is offline too, once the server has seen the close (our side may see it first).
    const bob = await h.user(server, 'bob')
    bob.send({ type: 'bye' })
    await bob.waitClosed()
    await waitUntil(() => server.stats().users === 1, 'the server to see bob gone')
    const after = await alice.request({ type: 'dm', to: 'bob', text: 'gone?' })
    assert.equal(after.type === 'error' && after.code, 'user_offline')

    const invalid = await alice.request({ type: 'dm', to: 'not a name', text: 'x' })
    assert.equal(invalid.type === 'error' && invalid.code, 'invalid_name')
    assert.equal(alice.isClosed, false)
  })

  it('numbers DMs per conversation pair, in both directions', async t => {
    const h = new Harness(t)
    const server = createServer()
    const alice = await h.user(server, 'alice')
    const bob = await h.user(server, 'bob')
    const carol = await h.user(server, 'carol')

    const sends = [[alice, 'bob'], [alice, 'bob'], [bob, 'alice'], [alice, 'carol'], [carol, 'alice'], [bob, 'ALICE'], [bob, 'carol']] as const
    const ids: string[] = []
    for (const [from, to] of sends) {
      const ack = await from.request({ type: 'dm', to, text: `${from.name} to ${to}` })
      assert.equal(ack.type, 'ack')
      ids.push(`${from.name}>${to.toLowerCase()}#${ack.type === 'ack' ? ack.id : -1}`)
    }
    assert.deepEqual(ids, ['alice>bob#1', 'alice>bob#2', 'bob>alice#3', 'alice>carol#1', 'carol>alice#2', 'bob>alice#4', 'bob>carol#1'])

    await alice.sync()
    const toAlice = alice.received.filter((m): m is ChatMessage => m.type === 'msg').map(m => `${m.from}#${m.id}`)
    assert.deepEqual(toAlice, ['bob#3', 'carol#2', 'bob#4'])
  })
})
