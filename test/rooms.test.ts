import { test } from 'node:test'
import assert from 'node:assert/strict'
import { defaultTransport } from '@chat/client'
import type { ChatMessage, Transport } from '@chat/client'
import { FrameDecoder } from '@chat/protocol'
import { readSend } from '@chat/protocol/fast'
import { createServer } from '@chat/server'
import { Harness, rejectsWithCode, take, takeUntil, within } from '@chat/testing'

const summary = (m: ChatMessage): string => `${m.room ?? `@${m.to ?? '?'}`}:${m.from}:${m.text}`

test('members of a room get its messages, the sender included, and nothing from other rooms', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [alice, bob] = await h.clientsIn(url, 'alpha', ['alice', 'bob'])
  const [carol, dave] = await h.clientsIn(url, 'beta', ['carol', 'dave'])
  // alice is in both rooms; bob only in alpha; carol and dave only in beta.
  await alice.join('beta')
  const inboxes = [alice, bob, carol, dave].map(c => c.messages())

  const a1 = await alice.send('alpha', 'a1')
  await carol.send('beta', 'b1')
  await bob.send('alpha', 'a2')
  await dave.send('beta', 'b2')
  assert.equal(a1.id, 1)
  assert.equal(typeof a1.ts, 'number')

  // The last message each client should see is its room's final one; anything else before it is a leak.
  const [aliceGot, bobGot, carolGot, daveGot] = await Promise.all([
    take(inboxes[0], 4, 'alice\'s messages'),
    takeUntil(inboxes[1], m => m.text === 'a2', 'bob\'s messages'),
    takeUntil(inboxes[2], m => m.text === 'b2', 'carol\'s messages'),
    takeUntil(inboxes[3], m => m.text === 'b2', 'dave\'s messages')
  ])
  assert.deepEqual(aliceGot.map(summary), ['alpha:alice:a1', 'beta:carol:b1', 'alpha:bob:a2', 'beta:dave:b2'])
  assert.deepEqual(bobGot.map(summary), ['alpha:alice:a1', 'alpha:bob:a2'])
  assert.deepEqual(carolGot.map(summary), ['beta:carol:b1', 'beta:dave:b2'])
  assert.deepEqual(daveGot.map(summary), ['beta:carol:b1', 'beta:dave:b2'])
  // Each room numbers its own messages from 1.
  assert.deepEqual(aliceGot.map(m => m.id), [1, 1, 2, 2])
  for (const m of aliceGot) {
    assert.equal(m.to, undefined)
    assert.equal(typeof m.ts, 'number')
  }
})

test('messages({ room }) and messages({ from }) only yield what matches', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [alice, bob] = await h.clientsIn(url, 'alpha', ['alice', 'bob'])
  await alice.join('beta')
  await bob.join('beta')
  const onlyBeta = alice.messages({ room: 'beta' })
  const onlyBob = alice.messages({ from: 'bob' })
  const bobInBeta = alice.messages({ room: 'beta', from: 'bob' })
  await alice.send('alpha', 'alice in alpha')
  await alice.send('beta', 'alice in beta')
  await bob.send('alpha', 'bob in alpha')
  await bob.send('beta', 'bob in beta')
  assert.deepEqual((await take(onlyBeta, 2, 'beta messages')).map(m => m.text), ['alice in beta', 'bob in beta'])
  assert.deepEqual((await take(onlyBob, 2, 'bob\'s messages')).map(m => m.text), ['bob in alpha', 'bob in beta'])
  assert.deepEqual((await take(bobInBeta, 1, 'bob\'s beta messages')).map(m => m.text), ['bob in beta'])
})

test('rooms(), members() and leave()', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  const bob = await h.client(url, 'bob')
  assert.deepEqual(await alice.rooms(), [])

  assert.deepEqual(await alice.join('general'), { room: 'general', members: ['alice'] })
  assert.deepEqual(await bob.join('general'), { room: 'general', members: ['alice', 'bob'] })
  // Joining again is fine and changes nothing.
  assert.deepEqual(await bob.join('general'), { room: 'general', members: ['alice', 'bob'] })
  await bob.join('random')
  assert.deepEqual(await alice.rooms(), [{ room: 'general', members: 2 }, { room: 'random', members: 1 }])
  assert.deepEqual(await alice.members('general'), ['alice', 'bob'])
  // Anyone may list a room's members, member or not.
  assert.deepEqual(await alice.members('random'), ['bob'])

  await bob.leave('general')
  assert.deepEqual(await alice.members('general'), ['alice'])
  // An emptied room goes away.
  await bob.leave('random')
  assert.deepEqual(await bob.rooms(), [{ room: 'general', members: 1 }])
  await rejectsWithCode(bob.members('random'), 'no_such_room', 'members of an emptied room')
})

test('room errors: no_such_room, not_member, invalid_name; the connection carries on', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  const bob = await h.client(url, 'bob')
  await bob.join('general')

  await rejectsWithCode(alice.members('nowhere'), 'no_such_room', 'members of a room nobody is in')
  await rejectsWithCode(alice.leave('general'), 'not_member', 'leaving a room alice is not in')
  await rejectsWithCode(alice.leave('nowhere'), 'not_member', 'leaving a room that does not exist')
  await rejectsWithCode(alice.send('general', 'hi'), 'not_member', 'sending to a room alice is not in')
  await rejectsWithCode(alice.send('nowhere', 'hi'), 'not_member', 'sending to a room that does not exist')
  for (const room of ['General', '', '-x', 'a b', 'x'.repeat(65)]) {
    await rejectsWithCode(alice.join(room), 'invalid_name', `joining ${JSON.stringify(room)}`)
  }
  // bob heard nothing of alice's refused send; after leaving, alice can't send either.
  const bobInbox = bob.messages()
  await alice.join('general')
  await alice.send('general', 'now I can')
  await alice.leave('general')
  await rejectsWithCode(alice.send('general', 'not any more'), 'not_member', 'sending after leaving')
  await bob.send('general', 'marker')
  const got = await takeUntil(bobInbox, m => m.text === 'marker', 'bob\'s messages')
  assert.deepEqual(got.map(m => m.text), ['now I can', 'marker'])
  assert.equal(alice.isClosed, false)
})

test('after leave() a client gets no more of the room\'s messages', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [alice, bob] = await h.clientsIn(url, 'general', ['alice', 'bob'])
  await bob.join('side')
  await alice.join('side')
  const bobInbox = bob.messages()
  await alice.send('general', 'before')
  await bob.leave('general')
  await alice.send('general', 'after')
  await alice.send('side', 'marker')
  const got = await within(takeUntil(bobInbox, m => m.text === 'marker', 'bob\'s messages'), 'bob\'s messages')
  assert.deepEqual(got.map(summary), ['general:alice:before', 'side:alice:marker'])
})

test('the SDK writes sends in the shape the server reads on its fast path', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const written: Uint8Array[] = []
  // The real TCP transport, with what the client writes copied aside.
  const tapping: Transport = async (address, options) => {
    const inner = await defaultTransport(address, options)
    return {
      source: inner.source,
      destroy: () => { inner.destroy() },
      get writableLength () { return inner.writableLength },
      closed: inner.closed,
      remoteAddress: inner.remoteAddress,
      sink: async source => {
        await inner.sink((async function * () {
          for await (const chunk of source) {
            written.push(Uint8Array.from(chunk))
            yield chunk
          }
        })())
      }
    }
  }
  const alice = await h.client(url, 'alice', { transport: tapping })
  await alice.join('general')
  await alice.send('general', 'plain text')
  await alice.send('general', 'héllo 🎉')
  const frames = new FrameDecoder().push(Buffer.concat(written))
  const sends = frames.map(body => Buffer.from(body).toString('utf8')).filter(json => json.startsWith('{"type":"send"'))
  assert.equal(sends.length, 2)
  for (const json of sends) {
    const fast = readSend(json)
    assert.notEqual(fast, undefined, `fast path refused ${json}`)
    assert.deepEqual(fast, JSON.parse(json))
  }
})
