import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChatError, defaultTransport } from '@chat/client'
import type { Transport } from '@chat/client'
import { createServer } from '@chat/server'
import { connect, Harness, expectDone, nextThrows, rejectsWithCode, roundTrip, take, waitUntil, within } from '@chat/testing'

test('close(): waiting iterators end, closed resolves undefined, later calls reject with connection_closed', async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer())
  const [alice, bob] = await h.clientsIn(url, 'general', ['alice', 'bob'])
  await roundTrip(alice, bob)
  const bobEvents = bob.events()
  const waitingMessages = alice.messages()
  const waitingEvents = alice.events()
  const pendingNext = waitingMessages.next()
  const pendingEvent = waitingEvents.next()

  await within(alice.close(), 'alice.close()')
  assert.deepEqual(await within(pendingNext, 'the waiting messages() step'), { value: undefined, done: true })
  assert.deepEqual(await within(pendingEvent, 'the waiting events() step'), { value: undefined, done: true })
  assert.equal(await within(alice.closed, 'alice.closed'), undefined)
  assert.equal(alice.isClosed, true)

  await rejectsWithCode(alice.send('general', 'too late'), 'connection_closed', 'send after close')
  await rejectsWithCode(alice.join('other'), 'connection_closed', 'join after close')
  await rejectsWithCode(alice.dm('bob', 'too late'), 'connection_closed', 'dm after close')
  await rejectsWithCode(alice.rooms(), 'connection_closed', 'rooms after close')
  await rejectsWithCode(alice.members('general'), 'connection_closed', 'members after close')
  await rejectsWithCode(alice.leave('general'), 'connection_closed', 'leave after close')
  // Iterators asked for after close are simply done; closing again is harmless.
  await expectDone(alice.messages(), 'messages() after close')
  await expectDone(alice.events(), 'events() after close')
  await within(alice.close(), 'a second close()')

  const [left] = await take(bobEvents, 1, 'bob hearing alice quit')
  assert.deepEqual(left, { type: 'leave', room: 'general', user: 'alice', reason: 'quit' })
  assert.equal(server.stats().users, 1)
})

test('close() delivers what the iterators already held before ending them', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [alice, bob] = await h.clientsIn(url, 'general', ['alice', 'bob'])
  const inbox = alice.messages()
  await bob.send('general', 'one')
  await bob.send('general', 'two')
  // alice's own call makes sure both messages reached her before she closes.
  await alice.rooms()
  await alice.close()
  assert.deepEqual((await take(inbox, 2, 'the held messages')).map(m => m.text), ['one', 'two'])
  await expectDone(inbox, 'alice\'s inbox after what it held')
})

test('client[Symbol.asyncDispose]() closes the client', async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  const inbox = alice.messages()
  await within(alice[Symbol.asyncDispose](), 'asyncDispose')
  assert.equal(alice.isClosed, true)
  assert.equal(await within(alice.closed, 'alice.closed'), undefined)
  await expectDone(inbox, 'the inbox after dispose')
  await rejectsWithCode(alice.rooms(), 'connection_closed', 'a call after dispose')
  // The server saw a clean quit; the name is free once the server has seen the connection close.
  await waitUntil(() => server.stats().users === 0, 'the server to forget alice')
})

test('`await using` closes the client at the end of the block', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const bob = await h.client(url, 'bob')
  await bob.join('general')
  const events = bob.events({ types: ['join', 'leave'] })
  let escaped: Awaited<ReturnType<typeof connect>> | undefined
  {
    await using alice = await connect(url, { username: 'alice' })
    await alice.join('general')
    escaped = alice
  }
  assert.equal(escaped.isClosed, true)
  assert.deepEqual((await take(events, 2, 'alice\'s join and quit')).map(e => `${e.type} ${e.user} ${e.reason ?? ''}`), ['join alice ', 'leave alice quit'])
})

test('server.close(): clients\' closed resolves server_shutdown and their iterators throw it', async t => {
  const h = new Harness(t)
  const { url, close } = await h.serve(createServer())
  const [alice, bob] = await h.clientsIn(url, 'general', ['alice', 'bob'])
  await roundTrip(alice, bob)
  const aliceMessages = alice.messages()
  const aliceEvents = alice.events()
  const bobMessages = bob.messages()
  const waiting = aliceMessages.next()
  // bob holds a message when the server goes: he gets it first, then the error.
  await alice.send('general', 'last words')
  await bob.rooms()

  await within(close(), 'server.close()')
  for (const [name, client] of [['alice', alice], ['bob', bob]] as const) {
    const reason = await within(client.closed, `${name}'s closed`)
    assert.ok(reason instanceof ChatError, `${name}: expected a ChatError, got ${String(reason)}`)
    assert.equal(reason.code, 'server_shutdown')
    assert.equal(client.isClosed, true)
  }
  const first = await within(waiting, 'alice\'s waiting iterator step')
  assert.equal(first.value?.text, 'last words')
  await nextThrows(aliceMessages, 'server_shutdown', 'alice\'s messages() after the shutdown')
  await nextThrows(aliceEvents, 'server_shutdown', 'alice\'s events() after the shutdown')
  assert.deepEqual((await take(bobMessages, 1, 'bob\'s held message')).map(m => m.text), ['last words'])
  await nextThrows(bobMessages, 'server_shutdown', 'bob\'s messages() after the shutdown')
  // The error is thrown once; the iterator is then done.
  await expectDone(bobMessages, 'bob\'s messages() after the error')
  await rejectsWithCode(alice.send('general', 'anyone?'), 'connection_closed', 'send after the shutdown')
  // A new connection is refused.
  await rejectsWithCode(connect(url, { username: 'carol' }), 'connect_failed', 'connecting to a stopped server')
})

test('message_too_long: the SDK refuses texts over the server\'s maxTextBytes, and the connection carries on', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ maxTextBytes: 64 }))
  const [alice, bob] = await h.clientsIn(url, 'general', ['alice', 'bob'])
  assert.equal(alice.server?.maxTextBytes, 64)
  const inbox = bob.messages()
  await rejectsWithCode(alice.send('general', 'a'.repeat(65)), 'message_too_long', '65 ASCII bytes')
  // Bytes, not characters: 33 two-byte characters are 66 bytes.
  await rejectsWithCode(alice.send('general', 'é'.repeat(33)), 'message_too_long', '33 two-byte characters')
  await rejectsWithCode(alice.send('general', '😀'.repeat(17)), 'message_too_long', '17 four-byte characters')
  await rejectsWithCode(alice.dm('bob', 'b'.repeat(100)), 'message_too_long', 'a long DM')
  // Exactly at the limit is fine, and nothing refused was delivered.
  await alice.send('general', 'a'.repeat(64))
  await alice.send('general', 'é'.repeat(32))
  await alice.send('general', '😀'.repeat(16))
  assert.deepEqual((await take(inbox, 3, 'bob\'s messages')).map(m => m.text), ['a'.repeat(64), 'é'.repeat(32), '😀'.repeat(16)])
  assert.equal(alice.isClosed, false)
})

test('invalid_message: the SDK refuses a lone surrogate in a text, name, key or password without sending it', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ dataDir: h.tempDir('chat-unicode-') }))
  // The test's transport, counting the bytes the client writes.
  let bytesSent = 0
  const counting: Transport = async (address, options) => {
    const inner = await defaultTransport(address, options)
    async function * counted (source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
      for await (const chunk of source) {
        bytesSent += chunk.byteLength
        yield chunk
      }
    }
    return {
      source: inner.source,
      sink: async source => { await inner.sink(counted(source)) },
      destroy: () => { inner.destroy() },
      get writableLength () { return inner.writableLength },
      closed: inner.closed,
      remoteAddress: inner.remoteAddress
    }
  }
  const alice = await h.client(url, 'alice', { transport: counting })
  await alice.join('general')
  const bytesBefore = bytesSent
  const refusals: Array<[Promise<unknown>, string]> = [
    [alice.send('general', 'lone\ud800x'), 'send text'],
    [alice.dm('alice', 'end\ud83d'), 'dm text'],
    [alice.join('gen\udc00'), 'join room'],
    [alice.members('\udfff'), 'members room'],
    [alice.history({ with: 'b\ud800b' }), 'history with']
  ]
  for (const [call, what] of refusals) {
    await rejectsWithCode(call, 'invalid_message', what)
    await assert.rejects(call, /lone surrogate/)
  }
  await rejectsWithCode(connect(url, { username: 'carol', password: 'pass\ud800word', register: true }), 'invalid_message', 'a password')
  assert.equal(bytesSent, bytesBefore, 'nothing was sent')
  // A surrogate pair is one character: sent, stored and read back as it was.
  await alice.send('general', 'pair \ud83d\ude00')
  assert.deepEqual((await alice.history('general')).messages.map(m => m.text), ['pair 😀'])
  assert.equal(alice.isClosed, false)
})

test('an aborted signal rejects a call with aborted; the connection carries on', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  await rejectsWithCode(alice.join('x', { signal: AbortSignal.abort() }), 'aborted', 'join with an aborted signal')
  await rejectsWithCode(alice.send('x', 'hi', { signal: AbortSignal.abort() }), 'aborted', 'send with an aborted signal')
  await rejectsWithCode(alice.rooms({ signal: AbortSignal.abort(new Error('changed my mind')) }), 'aborted', 'rooms with an aborted signal')
  // The aborted join was never sent.
  assert.deepEqual(await alice.rooms(), [])
  assert.deepEqual(await alice.join('x', { signal: new AbortController().signal }), { room: 'x', members: ['alice'] })
})

test('messages({ signal }) and events({ signal }): aborting makes the iterator throw aborted', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [alice, bob] = await h.clientsIn(url, 'general', ['alice', 'bob'])
  await roundTrip(alice, bob)
  const controller = new AbortController()
  const abortable = alice.messages({ signal: controller.signal })
  const abortableEvents = alice.events({ signal: controller.signal })
  const other = alice.messages()

  await bob.send('general', 'before')
  assert.deepEqual((await take(abortable, 1, 'the message before the abort')).map(m => m.text), ['before'])
  const waiting = abortable.next()
  const waitingEvent = abortableEvents.next()
  controller.abort()
  await rejectsWithCode(waiting, 'aborted', 'the waiting messages() step')
  await rejectsWithCode(waitingEvent, 'aborted', 'the waiting events() step')

  // Already aborted: the first step throws.
  await nextThrows(alice.messages({ signal: AbortSignal.abort() }), 'aborted', 'messages() with an aborted signal')
  // Only that iterator ended; the client and its other iterators carry on.
  await bob.send('general', 'after')
  assert.deepEqual((await take(other, 2, 'the other iterator\'s messages')).map(m => m.text), ['before', 'after'])
  assert.equal(alice.isClosed, false)
})

test('an iterator that was waiting when it failed throws once, then reports done', async t => {
  const h = new Harness(t)
  const { url, close } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  const controller = new AbortController()
  const aborted = alice.messages({ signal: controller.signal })
  const waitingAborted = aborted.next()
  const lost = alice.messages()
  const waitingLost = lost.next()
  const abortedOutcome = rejectsWithCode(waitingAborted, 'aborted', 'the waiting step of the aborted iterator')
  const lostOutcome = rejectsWithCode(waitingLost, 'server_shutdown', 'the waiting step when the server shut down')
  controller.abort()
  await abortedOutcome
  await close()
  await lostOutcome
  // As when the iterator was not waiting (see the server.close() test): the error is thrown once.
  await expectDone(aborted, 'the aborted iterator afterwards')
  await expectDone(lost, 'the iterator of the lost connection afterwards')
})

test('iterators: closed settles with the reason the client ended (undefined after close()), delivered and pending count', async t => {
  const h = new Harness(t)
  const { url, close } = await h.serve(createServer())
  const [alice, bob] = await h.clientsIn(url, 'general', ['alice', 'bob'])
  await roundTrip(alice, bob)
  const inbox = alice.messages({ room: 'general' })
  const status = alice.status()
  const broken = bob.messages()
  await bob.send('general', 'one')
  await bob.send('general', 'two')
  await alice.rooms()
  assert.deepEqual([inbox.delivered, inbox.pending], [0, 2])
  await take(inbox, 1, 'the first message')
  assert.deepEqual([inbox.delivered, inbox.pending], [1, 1])
  for await (const _ of broken) break
  assert.equal(await within(broken.closed, 'closed after a break'), undefined)
  assert.deepEqual([broken.delivered, broken.pending], [1, 0])

  await within(close(), 'server.close()')
  const reason = await within(inbox.closed, 'the inbox\'s closed')
  assert.equal(reason?.code, 'server_shutdown')
  assert.equal(await within(status.closed, 'status\'s closed'), undefined, 'status iterators end normally, after the close event')
  assert.equal(inbox.pending, 1)
  await take(inbox, 1, 'the held message')
  await nextThrows(inbox, 'server_shutdown', 'the inbox after what it held')
  assert.deepEqual([inbox.delivered, inbox.pending], [2, 0])
})
