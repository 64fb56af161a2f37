import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from '@chat/server'
import { Harness, rejectsWithCode, take, takeUntil } from '@chat/testing'

test('a direct message reaches only its target, with `to` set and no `room`', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [alice, bob, carol] = await h.clientsIn(url, 'general', ['alice', 'bob', 'carol'])
  const bobInbox = bob.messages()
  const carolInbox = carol.messages()
  const aliceInbox = alice.messages()

  const ack = await alice.dm('bob', 'psst')
  assert.equal(ack.id, 1)
  const [dm] = await take(bobInbox, 1, 'bob\'s direct message')
  assert.equal(dm.from, 'alice')
  assert.equal(dm.to, 'bob')
  assert.equal(dm.room, undefined)
  assert.equal(dm.text, 'psst')
  assert.equal(dm.id, ack.id)
  assert.equal(dm.ts, ack.ts)

  // A room message after it is the first thing carol and alice see: neither got the DM.
  await alice.send('general', 'marker')
  assert.deepEqual((await takeUntil(carolInbox, m => m.text === 'marker', 'carol\'s messages')).map(m => m.text), ['marker'])
  assert.deepEqual((await takeUntil(aliceInbox, m => m.text === 'marker', 'alice\'s messages')).map(m => m.text), ['marker'])
  assert.deepEqual((await take(bobInbox, 1, 'bob\'s room message')).map(m => m.text), ['marker'])
})

test('direct messages need no shared room; a conversation numbers its messages from 1, both ways', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  const bob = await h.client(url, 'Bob')
  const carol = await h.client(url, 'carol')
  const bobInbox = bob.messages()
  const aliceInbox = alice.messages()

  assert.equal((await alice.dm('bob', 'one')).id, 1) // the target's name is matched case-insensitively
  assert.equal((await bob.dm('alice', 'two')).id, 2)
  assert.equal((await alice.dm('BOB', 'three')).id, 3)
  assert.equal((await carol.dm('bob', 'other conversation')).id, 1)

  const toBob = await take(bobInbox, 3, 'bob\'s direct messages')
  assert.deepEqual(toBob.map(m => [m.id, m.from, m.to, m.text]), [
    [1, 'alice', 'Bob', 'one'], [3, 'alice', 'Bob', 'three'], [1, 'carol', 'Bob', 'other conversation']
  ])
  const toAlice = await take(aliceInbox, 1, 'alice\'s direct message')
  assert.deepEqual(toAlice.map(m => [m.id, m.from, m.to, m.text]), [[2, 'Bob', 'alice', 'two']])
})

test('in open mode, a direct message to someone not connected rejects with user_offline; the connection carries on', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ authMode: 'open' }))
  const alice = await h.client(url, 'alice')
  const bob = await h.client(url, 'bob')
  await rejectsWithCode(alice.dm('nobody', 'hello?'), 'user_offline', 'a DM to nobody')
  await rejectsWithCode(alice.dm('not a name', 'hello?'), 'invalid_name', 'a DM to an invalid name')

  await bob.close()
  // bob's name is released when the server sees his connection close; until then he is closing, which is offline too.
  await rejectsWithCode(alice.dm('bob', 'are you there?'), 'user_offline', 'a DM to bob after he closed')

  const carol = await h.client(url, 'carol')
  const carolInbox = carol.messages()
  await alice.dm('carol', 'still works')
  assert.deepEqual((await take(carolInbox, 1, 'carol\'s DM')).map(m => m.text), ['still works'])
})

test('messages({ direct }) separates direct messages from room messages', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const [alice, bob] = await h.clientsIn(url, 'general', ['alice', 'bob'])
  const direct = bob.messages({ direct: true })
  const roomOnly = bob.messages({ direct: false })
  const fromAliceDirect = bob.messages({ direct: true, from: 'alice' })
  const carol = await h.client(url, 'carol')

  await alice.send('general', 'room 1')
  await alice.dm('bob', 'dm 1')
  await carol.dm('bob', 'dm from carol')
  await alice.send('general', 'room 2')
  await alice.dm('bob', 'dm 2')

  assert.deepEqual((await take(direct, 3, 'bob\'s DMs')).map(m => m.text), ['dm 1', 'dm from carol', 'dm 2'])
  assert.deepEqual((await take(roomOnly, 2, 'bob\'s room messages')).map(m => m.text), ['room 1', 'room 2'])
  assert.deepEqual((await take(fromAliceDirect, 2, 'bob\'s DMs from alice')).map(m => m.text), ['dm 1', 'dm 2'])
  // A DM to oneself is a DM like any other.
  await bob.dm('bob', 'note to self')
  const [self] = await take(direct, 1, 'bob\'s note to self')
  assert.deepEqual([self.from, self.to, self.text], ['bob', 'bob', 'note to self'])
})
