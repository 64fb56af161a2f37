// Each scheme of the SDK against a real server on loopback: the same guarantees on every transport.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect as sdkConnect } from '@chat/client'
import { createServer } from '@chat/server'
import { Harness, collectMessages, newTestCertificate, rejectsWithCode, StatusLog, TEST_TRANSPORTS, testCertificate, isTls, within } from '@chat/testing'
import { assertConsecutive } from './support/history.js'
import { RECONNECT } from './support/fast-reconnect.js'
import { WindowedSender } from './support/windowed-sender.js'

const PASSWORD = 'correct horse battery'

function texts (prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}-${i + 1}`)
}

for (const transport of TEST_TRANSPORTS) {
  test(`${transport}://: log in with a password, send and receive; a restart of the server on the same ports loses nothing and repeats nothing`, { timeout: 60_000 }, async t => {
    const h = new Harness(t)
    const dataDir = h.tempDir()
    const first = await h.serve(createServer({ dataDir }), { transport })
    assert.match(first.url, new RegExp(`^${transport}://127\\.0\\.0\\.1:\\d+${transport.startsWith('ws') ? '/ws' : ''}$`))
    const alice = await h.client(first.url, 'alice', { password: PASSWORD, register: true, ...RECONNECT })
    assert.equal(alice.registered, true)
    const bob = await h.client(first.url, 'bob', RECONNECT)
    for (const c of [alice, bob]) await within(c.join('general'), `${c.username} to join`)
    const inbox = collectMessages(bob, { room: 'general' }, 'bob')
    const status = new StatusLog(bob, 'bob')

    const before = new WindowedSender(alice, { room: 'general' }, texts('before', 100), 20)
    await within(before.done, 'the sends before the restart')
    await first.server.close()
    await status.next('disconnect', 'bob to see the server go')

    // Sends made while the server is down wait for the reconnect.
    const during = new WindowedSender(alice, { room: 'general' }, texts('during', 50), 20)
    const second = h.own(createServer({ dataDir }))
    await within(second.listen({ port: first.port, httpPort: first.httpPort, tls: isTls(transport) ? testCertificate() : undefined }), 'the restarted server to listen')
    await status.next('reconnect', 'bob to be back')
    await within(during.done, 'the sends made during the restart')
    const after = new WindowedSender(alice, { room: 'general' }, texts('after', 50), 20)
    await within(after.done, 'the sends after the restart')

    for (const sender of [before, during, after]) assert.deepEqual(sender.failures, [])
    await inbox.until(items => items.length >= 200, 'bob to get all 200 messages')
    assertConsecutive(inbox.items, 1, 'bob\'s messages')
    assert.deepEqual(inbox.items.map(m => m.text), [...before.texts, ...during.texts, ...after.texts])
    const acked = [before, during, after].flatMap(sender => sender.acks.map(ack => ack!.id))
    assert.deepEqual(acked, inbox.items.map(m => m.id), 'each send was acknowledged with the id bob saw')
  })
}

for (const transport of ['tls', 'wss'] as const) {
  test(`${transport}://: a certificate the client can't trust fails the connect with connect_failed, saying why`, async t => {
    const h = new Harness(t)
    const { url } = await h.serve(createServer(), { transport })
    const untrusted = await rejectsWithCode(sdkConnect(url, { username: 'alice', reconnect: false }), 'connect_failed', 'without the CA')
    assert.match(untrusted.message, /self-signed certificate/)
    assert.ok(untrusted.cause instanceof Error)
    const otherCa = await rejectsWithCode(sdkConnect(url, { username: 'alice', reconnect: false, tls: { ca: newTestCertificate().cert } }), 'connect_failed', 'with another CA')
    assert.match(otherCa.message, /self-signed certificate/)
    const wrongName = await rejectsWithCode(sdkConnect(url, { username: 'alice', reconnect: false, tls: { ca: testCertificate().cert, servername: 'chat.example' } }), 'connect_failed', 'for another name')
    assert.match(wrongName.message, /chat\.example/)
    // The server is fine: a client with the CA gets in.
    const alice = await within(sdkConnect(url, { username: 'alice', reconnect: false, tls: { ca: testCertificate().cert } }), 'alice to connect with the CA')
    await alice.close()
  })
}
