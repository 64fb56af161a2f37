import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { decodeClientMessage, encodeFrame, FrameDecoder } from '@chat/protocol'
import type { ClientMessage } from '@chat/protocol'
import { duplexPair } from '@chat/transport'
import { Harness, RawClient, waitUntil } from '../src/index.js'
import { FakeServer } from './fake-server.js'

describe('RawClient', () => {
  it('logs in and joins over an in-memory duplex; the server\'s side sees our end', async t => {
    const h = new Harness(t)
    const server = new FakeServer()
    const alice = await h.user(server, 'alice')
    await alice.join('general')
    assert.deepEqual(server.received.map(m => m.type), ['hello', 'join'])
    assert.equal(alice.serverSide?.endSeen, false)
    alice.end()
    await alice.serverSide!.ended
    await alice.waitClosed()
    assert.equal(alice.endReceived, true)
  })

  it('next takes messages once, oldest first; waitFor finds any received message without taking it', async t => {
    const h = new Harness(t)
    const server = new FakeServer()
    server.script = (message, reply) => {
      if (message.type !== 'rooms') return false
      for (const n of [1, 2, 3]) reply({ type: 'pong', n })
      reply({ type: 'room_list', re: message.req, rooms: [] })
      return true
    }
    const client = h.connect(server)
    assert.equal((await client.request({ type: 'rooms' })).type, 'room_list')
    assert.deepEqual(client.unread.map(m => m.type === 'pong' && m.n), [1, 2, 3])
    assert.equal((await client.next(m => m.type === 'pong' && m.n === 2)).type, 'pong')
    assert.deepEqual(client.unread.map(m => m.type === 'pong' && m.n), [1, 3])
    const found = await client.waitFor(m => m.type === 'pong' && m.n === 2, 'pong 2, taken already')
    assert.equal(found.type === 'pong' && found.n, 2)
    assert.equal(client.received.length, 4)
  })

  it('next and waitFor fail at once when the connection closes first', async t => {
    const h = new Harness(t)
    const server = new FakeServer()
    server.script = (message, _reply, duplex) => {
      if (message.type === 'rooms') duplex.destroy()
      return true
    }
    const client = h.connect(server)
    const never = client.next(m => m.type === 'room_list', 'a room list that never comes', 60_000)
    const neverFound = client.waitFor(m => m.type === 'room_list', 'a room list that never comes', 60_000)
    client.send({ type: 'rooms', req: 1 })
    await assert.rejects(never, /closed before a room list that never comes/)
    await assert.rejects(neverFound, /closed before a room list that never comes/)
    await assert.rejects(client.nextOfType('pong'), /closed before/)
  })

  it('answers pings unless autoPong is off', async () => {
    for (const autoPong of [true, false]) {
      const [ours, theirs] = duplexPair()
      const got: ClientMessage[] = []
      const frames = new FrameDecoder()
      theirs.attach({ onData: chunk => { for (const body of frames.push(chunk)) got.push(decodeClientMessage(body)) }, onEnd: () => {}, onDrain: () => {}, onClose: () => {} })
      const client = new RawClient(ours, 'pinged', { autoPong })
      theirs.write(encodeFrame({ type: 'ping', n: 5 }))
      await client.nextOfType('ping')
      // A pong is written as the ping is read, so before anything the test sends after it.
      client.send({ type: 'rooms', req: 1 })
      await waitUntil(() => got.some(m => m.type === 'rooms'), 'the marker')
      assert.deepEqual(got.map(m => m.type), autoPong ? ['pong', 'rooms'] : ['rooms'], `autoPong ${String(autoPong)}`)
      client.destroy()
    }
  })

  it('stays half-open after the server ends only with allowHalfOpen', async t => {
    const h = new Harness(t)
    const server = new FakeServer()
    server.script = (message, _reply, duplex) => {
      if (message.type === 'bye') duplex.end()
      return true
    }
    const plain = h.connect(server, 'plain')
    const stubborn = h.connect(server, 'stubborn', { allowHalfOpen: true })
    for (const client of [plain, stubborn]) client.send({ type: 'bye' })
    await plain.waitClosed()
    assert.equal(plain.endSent, true)
    await waitUntil(() => stubborn.endReceived, 'the server\'s end')
    // Our end would have been sent as the server's end was read.
    assert.equal(stubborn.endSent, false)
    assert.equal(stubborn.isClosed, false)
    stubborn.end()
    await stubborn.waitClosed()
  })

  it('keeps what it could decode and reports the bytes it could not', async t => {
    const h = new Harness(t)
    const server = new FakeServer()
    server.script = (message, reply, duplex) => {
      reply({ type: 'pong', n: 1 })
      duplex.write(Uint8Array.from([0x03, 0x7b, 0xff, 0x7d]))
      return true
    }
    const client = h.connect(server)
    client.send({ type: 'ping', n: 1 })
    await client.nextOfType('pong')
    await waitUntil(() => client.decodeError !== undefined, 'the bad frame to be reported')
    assert.deepEqual(client.received.map(m => m.type), ['pong'])
    assert.match(String(client.decodeError), /UTF-8|utf8|utf-8/i)
  })
})
