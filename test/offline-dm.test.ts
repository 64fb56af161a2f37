import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatClient, ChatMessage, SendAck } from '@chat/client'
import { createServer } from '@chat/server'
import { Harness, rejectsWithCode, roundTrip, take, takeUntil, within } from '@chat/testing'

const PASSWORD = 'correct horse battery staple'

async function registerAndLeave (h: Harness, url: string, username: string): Promise<void> {
  const client = await h.client(url, username, { password: PASSWORD, register: true })
  assert.equal(client.registered, true)
  await within(client.close(), `${username} to close after registering`)
}

async function dmAll (from: ChatClient, to: string, texts: string[]): Promise<SendAck[]> {
  const acks: SendAck[] = []
  for (const text of texts) acks.push(await within(from.dm(to, text), `${from.username}'s DM "${text}" to ${to}`))
  return acks
}

function summary (messages: ChatMessage[]): Array<[number, string, string | undefined, string]> {
  return messages.map(m => [m.id, m.from, m.to, m.text])
}

/**
 * Sends a marker DM and returns everything `inbox` yields up to it: a test
 * that expects nothing before the marker checks that nothing else came.
 */
async function upToMarker (from: ChatClient, to: string, inbox: AsyncIterator<ChatMessage>, what: string): Promise<string[]> {
  const marker = `marker ${Math.random()}`
  await within(from.dm(to, marker), `${from.username}'s marker DM`)
  return (await takeUntil(inbox, m => m.text === marker, what)).map(m => m.text === marker ? 'marker' : m.text)
}

test('DMs to an offline registered user are stored and delivered in order at the next login, then live ones', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  await registerAndLeave(h, url, 'Bob')
  const alice = await h.client(url, 'alice')

  const acks = await dmAll(alice, 'bob', ['one', 'two', 'three'])
  for (const ack of acks) assert.equal(ack.stored, true, 'the ack says the DM was kept for later')
  assert.deepEqual(acks.map(a => a.id), [1, 2, 3])

  const bob = await h.client(url, 'bob', { password: PASSWORD })
  // The iterator is made after connect resolved (and after a round trip): what came at login waits for it.
  await roundTrip(bob)
  const inbox = bob.messages({ direct: true })
  const stored = await take(inbox, 3, 'bob\'s stored DMs')
  assert.deepEqual(summary(stored), [[1, 'alice', 'Bob', 'one'], [2, 'alice', 'Bob', 'two'], [3, 'alice', 'Bob', 'three']])
  assert.deepEqual(stored.map(m => m.ts), acks.map(a => a.ts))
  for (const m of stored) assert.equal(m.room, undefined)

  const live = await within(alice.dm('bob', 'four'), 'a live DM')
  assert.equal(live.stored, undefined, 'a DM to someone online is not "stored"')
  assert.equal(live.id, 4)
  assert.deepEqual(summary(await take(inbox, 1, 'bob\'s live DM')), [[4, 'alice', 'Bob', 'four']])
})

test('stored DMs are delivered once: not again at the following login', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  await registerAndLeave(h, url, 'bob')
  const alice = await h.client(url, 'alice')
  await dmAll(alice, 'bob', ['one', 'two', 'three'])

  const first = await h.client(url, 'bob', { password: PASSWORD })
  assert.deepEqual((await take(first.messages({ direct: true }), 3, 'the stored DMs')).map(m => m.text), ['one', 'two', 'three'])
  await within(first.close(), 'bob to leave')

  const second = await h.client(url, 'bob', { password: PASSWORD })
  await roundTrip(second)
  assert.deepEqual(await upToMarker(alice, 'bob', second.messages({ direct: true }), 'bob\'s DMs at his second login'), ['marker'])
})

test('the offline inbox keeps the order DMs were sent in, across senders and conversations', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  await registerAndLeave(h, url, 'bob')
  const alice = await h.client(url, 'alice')
  const carol = await h.client(url, 'carol')
  const sent: Array<[string, string]> = []
  for (let i = 0; i < 6; i++) {
    const from = i % 3 === 2 ? carol : alice
    const text = `${from.username} ${i}`
    const ack = await within(from.dm('bob', text), `DM ${i}`)
    assert.equal(ack.stored, true)
    sent.push([from.username, text])
  }
  // Pipelined too: sent without waiting, acknowledged and stored in order.
  const pipelined = await within(Promise.all(['p0', 'p1', 'p2', 'p3'].map(async text => await alice.dm('bob', text))), 'pipelined DMs')
  assert.deepEqual(pipelined.map(a => a.id), [5, 6, 7, 8])
  for (const text of ['p0', 'p1', 'p2', 'p3']) sent.push(['alice', text])

  const bob = await h.client(url, 'bob', { password: PASSWORD })
  const got = await take(bob.messages(), sent.length, 'bob\'s stored DMs')
  assert.deepEqual(got.map(m => [m.from, m.text]), sent)
  // Ids count per conversation.
  assert.deepEqual(got.filter(m => m.from === 'carol').map(m => m.id), [1, 2])
  assert.deepEqual(got.filter(m => m.from === 'alice').map(m => m.id), [1, 2, 3, 4, 5, 6, 7, 8])
})

test('a DM to a name that is neither online nor registered is refused with no_such_user; the connection carries on', async t => {
  for (const authMode of ['accounts', 'required'] as const) {
    await t.test(authMode, async t => {
      const h = new Harness(t)
      const { url } = await h.serve(createServer({ authMode }))
      const alice = await h.client(url, 'alice', { password: PASSWORD, register: true })
      await rejectsWithCode(alice.dm('nobody', 'hello?'), 'no_such_user', 'a DM to nobody')
      await rejectsWithCode(alice.dm('NoBody', 'hello?'), 'no_such_user', 'a DM to NoBody')
      await rejectsWithCode(alice.dm('not a name', 'hello?'), 'invalid_name', 'a DM to an invalid name')
      // Registered and offline is different: kept for later.
      await registerAndLeave(h, url, 'bob')
      assert.equal((await within(alice.dm('bob', 'later'), 'a DM to offline bob')).stored, true)
    })
  }
})

test('in open mode there is no inbox: a DM to someone not connected is refused with user_offline', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ authMode: 'open' }))
  const alice = await h.client(url, 'alice')
  await rejectsWithCode(alice.dm('bob', 'hello?'), 'user_offline', 'a DM to absent bob')
  const bob = await h.client(url, 'bob')
  const ack = await within(alice.dm('bob', 'now you are here'), 'a DM to bob online')
  assert.equal(ack.stored, undefined)
  assert.deepEqual((await take(bob.messages(), 1, 'bob\'s DM')).map(m => m.text), ['now you are here'])
  await within(bob.close(), 'bob to leave')
  await rejectsWithCode(alice.dm('bob', 'gone again'), 'user_offline', 'a DM to bob after he left')
})

test('a DM to an online guest is delivered live and not kept for anyone later', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  const guest = await h.client(url, 'bob')
  assert.equal(guest.registered, false)
  const ack = await within(alice.dm('bob', 'to the guest'), 'a DM to guest bob')
  assert.equal(ack.stored, undefined)
  assert.deepEqual(summary(await take(guest.messages({ direct: true }), 1, 'guest bob\'s DM')), [[1, 'alice', 'bob', 'to the guest']])
  await within(guest.close(), 'guest bob to leave')

  // Once the guest is gone the name is nobody's: nothing is stored for it.
  await rejectsWithCode(alice.dm('bob', 'anyone there?'), 'no_such_user', 'a DM to bob after the guest left')

  // A later guest bob gets none of it...
  const guest2 = await h.client(url, 'bob')
  await roundTrip(guest2)
  assert.deepEqual(await upToMarker(alice, 'bob', guest2.messages({ direct: true }), 'the second guest bob\'s DMs'), ['marker'])
  await within(guest2.close(), 'the second guest bob to leave')

  // ...nor does someone who registers the name afterwards.
  await registerAndLeave(h, url, 'bob')
  const bob = await h.client(url, 'bob', { password: PASSWORD })
  await roundTrip(bob)
  assert.deepEqual(await upToMarker(alice, 'bob', bob.messages({ direct: true }), 'registered bob\'s DMs'), ['marker'])
  const page = await within(bob.history({ with: 'alice' }), 'registered bob\'s history with alice')
  assert.deepEqual(page.messages.map(m => m.text).filter(text => !text.startsWith('marker')), [], 'the guests\' conversations are not his')
})

test('history({ with }) shows a conversation, stored and live parts, to both parties and nobody else', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  await registerAndLeave(h, url, 'Bob')
  const alice = await h.client(url, 'alice')
  await dmAll(alice, 'bob', ['one', 'two'])
  const bob = await h.client(url, 'bob', { password: PASSWORD })
  await take(bob.messages({ direct: true }), 2, 'bob\'s stored DMs')
  await within(bob.dm('alice', 'three'), 'bob\'s reply')

  const expected = [[1, 'alice', 'Bob', 'one'], [2, 'alice', 'Bob', 'two'], [3, 'Bob', 'alice', 'three']]
  assert.deepEqual(summary((await within(alice.history({ with: 'bob' }), 'alice\'s history')).messages), expected)
  assert.deepEqual(summary((await within(alice.history({ with: 'BOB' }), 'alice\'s history, any case')).messages), expected)
  assert.deepEqual(summary((await within(bob.history({ with: 'alice' }), 'bob\'s history')).messages), expected)
  // Paging works on conversations as on rooms.
  const newest = await within(bob.history({ with: 'alice' }, { limit: 2 }), 'bob\'s newest 2')
  assert.deepEqual(newest.messages.map(m => m.id), [2, 3])
  assert.deepEqual(newest.next, { before: 2 })

  const carol = await h.client(url, 'carol')
  assert.deepEqual((await within(carol.history({ with: 'bob' }), 'carol\'s history with bob')).messages, [])
  assert.deepEqual((await within(carol.history({ with: 'alice' }), 'carol\'s history with alice')).messages, [])
  assert.deepEqual((await within(carol.history({ with: 'nobody' }), 'carol\'s history with nobody')).messages, [])
})

test('a guest\'s conversations belong to that session: a later guest of the same name can\'t read them', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const alice = await h.client(url, 'alice', { password: PASSWORD, register: true })
  const aliceInbox = alice.messages({ direct: true })

  const carol1 = await h.client(url, 'carol')
  assert.equal(carol1.registered, false)
  await dmAll(carol1, 'alice', ['secret 1', 'secret 2'])
  await take(aliceInbox, 2, 'alice\'s DMs from the first carol')
  await within(alice.dm('carol', 'secret reply'), 'alice\'s reply')
  assert.deepEqual((await within(carol1.history({ with: 'alice' }), 'the first carol\'s history')).messages.map(m => m.text),
    ['secret 1', 'secret 2', 'secret reply'])
  await within(carol1.close(), 'the first carol to leave')

  const carol2 = await h.client(url, 'carol')
  assert.deepEqual((await within(carol2.history({ with: 'alice' }), 'the second carol\'s history')).messages, [], 'nothing of the first carol\'s')
  assert.deepEqual((await within(carol2.history({ with: 'ALICE' }, { after: 0 }), 'the second carol\'s history after 0')).messages, [])
  // Her own conversation with alice starts afresh, and alice sees only it under "carol" now.
  const ack = await within(carol2.dm('alice', 'hello, I am new'), 'the second carol\'s DM')
  assert.equal(ack.id, 1)
  await take(aliceInbox, 1, 'alice\'s DM from the second carol')
  assert.deepEqual((await within(carol2.history({ with: 'alice' }), 'the second carol\'s history')).messages.map(m => m.text), ['hello, I am new'])
  assert.deepEqual((await within(alice.history({ with: 'carol' }), 'alice\'s history with carol')).messages.map(m => m.text), ['hello, I am new'])
})

test('room history is for members only: not_member before joining and after leaving', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const alice = await h.client(url, 'alice')
  await within(alice.join('general'), 'alice to join')
  await within(alice.send('general', 'first'), 'a room message')
  await within(alice.send('general', 'second'), 'a room message')

  const bob = await h.client(url, 'bob', { password: PASSWORD, register: true })
  await rejectsWithCode(bob.history('general'), 'not_member', 'history of a room bob is not in')
  await rejectsWithCode(bob.history('general', { after: 0 }), 'not_member', 'history after 0 of a room bob is not in')
  await rejectsWithCode(bob.history('empty-room'), 'not_member', 'history of a room nobody is in')
  await within(bob.join('general'), 'bob to join')
  assert.deepEqual((await within(bob.history('general'), 'bob\'s history of general')).messages.map(m => [m.id, m.from, m.text]),
    [[1, 'alice', 'first'], [2, 'alice', 'second']])
  await within(bob.leave('general'), 'bob to leave the room')
  await rejectsWithCode(bob.history('general'), 'not_member', 'history after leaving')
})

test('stored DMs survive a server restart on the same data directory and are delivered once', async t => {
  const h = new Harness(t)
  const dataDir = h.tempDir()
  const first = await h.serve(createServer({ dataDir }))
  await registerAndLeave(h, first.url, 'bob')
  const alice = await h.client(first.url, 'alice', { password: PASSWORD, register: true })
  const acks = await dmAll(alice, 'BOB', ['one', 'two', 'three'])
  assert.deepEqual(acks.map(a => [a.id, a.stored]), [[1, true], [2, true], [3, true]])
  await within(first.close(), 'the first server to close')

  const second = await h.serve(createServer({ dataDir }))
  const bob = await h.client(second.url, 'bob', { password: PASSWORD })
  const inbox = bob.messages({ direct: true })
  const stored = await take(inbox, 3, 'bob\'s stored DMs after the restart')
  assert.deepEqual(summary(stored), [[1, 'alice', 'bob', 'one'], [2, 'alice', 'bob', 'two'], [3, 'alice', 'bob', 'three']])
  assert.deepEqual(stored.map(m => m.ts), acks.map(a => a.ts))
  // The conversation goes on with the next id, and its history spans the restart.
  const alice2 = await h.client(second.url, 'alice', { password: PASSWORD })
  assert.equal((await within(alice2.dm('bob', 'four'), 'a live DM after the restart')).id, 4)
  assert.deepEqual((await take(inbox, 1, 'the live DM')).map(m => m.text), ['four'])
  assert.deepEqual((await within(alice2.history({ with: 'bob' }), 'alice\'s history')).messages.map(m => m.text), ['one', 'two', 'three', 'four'])
  await within(second.close(), 'the second server to close')

  // Delivered means taken: a third start does not deliver them again.
  const third = await h.serve(createServer({ dataDir }))
  const bob3 = await h.client(third.url, 'bob', { password: PASSWORD })
  const alice3 = await h.client(third.url, 'alice', { password: PASSWORD })
  await roundTrip(bob3)
  assert.deepEqual(await upToMarker(alice3, 'bob', bob3.messages({ direct: true }), 'bob\'s DMs after the second restart'), ['marker'])
})

test('a large offline inbox is delivered whole, not dropped with the login', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer({ maxQueuedBytes: 16_384 }))
  await registerAndLeave(h, url, 'bob')
  const alice = await h.client(url, 'alice')
  // About 40 KB of stored DMs: more than the server queues for one connection at a time.
  const texts = Array.from({ length: 40 }, (_, i) => `${i} ${'x'.repeat(1000)}`)
  await dmAll(alice, 'bob', texts)
  const bob = await h.client(url, 'bob', { password: PASSWORD })
  const got = await take(bob.messages({ direct: true }), texts.length, 'bob\'s stored DMs')
  assert.deepEqual(got.map(m => m.text), texts)
})

test('DMs that no iterator wants do not stop a room iterator', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  // A bot that only reads its room, and never asks for direct messages.
  const bot = await h.client(url, 'bot', { highWaterMark: 4 })
  await within(bot.join('general'), 'the bot to join')
  const room = bot.messages({ room: 'general' })
  const alice = await h.client(url, 'alice')
  await within(alice.join('general'), 'alice to join')
  await dmAll(alice, 'bot', ['dm 1', 'dm 2', 'dm 3', 'dm 4', 'dm 5', 'dm 6'])
  await within(alice.send('general', 'for the room'), 'a room message')
  assert.deepEqual((await take(room, 1, 'the bot\'s room message', 3_000)).map(m => m.text), ['for the room'])
})
