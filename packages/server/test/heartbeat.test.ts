import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Harness } from '@chat/testing'
import { createServer } from '../src/index.js'

const HEARTBEAT = { heartbeatIntervalMs: 50, heartbeatTimeoutMs: 200 }

describe('heartbeats', () => {
  it('keeps a client that answers pings connected', async t => {
    const h = new Harness(t)
    const server = createServer(HEARTBEAT)
    const alice = await h.user(server, 'alice', { autoPong: true })
    await alice.join('general')
    // Several timeouts' worth of quiet, as the server counts it: pings come an interval apart, so the 20th
    // is at least 1,000 ms (5 timeouts) after the login, whatever the speed of the machine.
    await alice.waitFor(m => m.type === 'ping' && m.n >= 20, 'the 20th ping')
    assert.equal(alice.isClosed, false)
    assert.ok(alice.received.some(m => m.type === 'ping'), 'the server pinged the quiet client')
    assert.deepEqual(alice.received.filter(m => m.type === 'error'), [])
    const ack = await alice.request({ type: 'send', room: 'general', text: 'still here' })
    assert.equal(ack.type, 'ack')
    assert.equal(server.stats().users, 1)
  })

  it('pings carry increasing numbers', async t => {
    const h = new Harness(t)
    const server = createServer(HEARTBEAT)
    const alice = await h.user(server, 'alice', { autoPong: true })
    const first = await alice.nextOfType('ping')
    const second = await alice.nextOfType('ping')
    assert.ok(second.n > first.n)
  })

  it('drops a client that never answers with a fatal heartbeat_timeout, and tells its rooms', async t => {
    const h = new Harness(t)
    const server = createServer(HEARTBEAT)
    const alice = await h.user(server, 'alice', { autoPong: true })
    const silent = await h.user(server, 'silent', { autoPong: false })
    await alice.join('general')
    await silent.join('general')
    await alice.nextOfType('presence', m => m.event === 'join')

    const error = await silent.nextOfType('error')
    assert.equal(error.code, 'heartbeat_timeout')
    assert.equal(error.fatal, true)
    assert.ok(silent.received.some(m => m.type === 'ping'), 'it was pinged before being dropped')
    await silent.waitClosed()

    assert.deepEqual(await alice.nextOfType('presence', m => m.event === 'leave'),
      { type: 'presence', event: 'leave', room: 'general', user: 'silent', reason: 'disconnected' })
    assert.equal(alice.isClosed, false)
    const members = await alice.request({ type: 'members', room: 'general' })
    assert.deepEqual(members.type === 'member_list' && members.members, ['alice'])
  })

  it('drops a silent client that never logged in', async t => {
    const h = new Harness(t)
    const server = createServer(HEARTBEAT)
    const silent = h.connect(server, 'silent', { autoPong: false })
    const error = await silent.nextOfType('error')
    assert.equal(error.code, 'heartbeat_timeout')
    assert.equal(error.fatal, true)
    await silent.waitClosed()
  })
})
