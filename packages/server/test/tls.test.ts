import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { X509Certificate } from 'node:crypto'
import { Harness, newTestCertificate, testCertificate, within } from '@chat/testing'
import type { TestCertificate } from '@chat/testing'
import { createServer } from '../src/index.js'
import { certificateSeen, openWebSocket, rawTls, rawWs } from './transport-clients.js'

function fingerprintOf (certificate: TestCertificate): string {
  return new X509Certificate(certificate.cert).fingerprint256
}

describe('TLS', () => {
  it('listen({ tls }): the TCP port speaks TLS and the HTTP one HTTPS (wss://); the protocol is the same over both', async t => {
    const h = new Harness(t)
    const { cert } = testCertificate()
    const served = await h.serve(createServer(), { transport: 'wss' })
    const { client: alice } = await rawTls(h, served.port, 'alice', cert)
    await alice.login('alice')
    await alice.join('general')
    const bob = await rawWs(h, served.url, 'bob', { ca: cert })
    await bob.login('bob')
    await bob.join('general')
    await bob.request({ type: 'send', room: 'general', text: 'over wss' })
    assert.equal((await alice.nextOfType('msg')).text, 'over wss')
  })

  it('listen() refuses a key that is not the certificate\'s, and listens again after the refusal', async t => {
    const h = new Harness(t)
    const server = h.own(createServer())
    const [one, other] = [testCertificate(), newTestCertificate()]
    await assert.rejects(server.listen({ port: 0, tls: { cert: one.cert, key: other.key } }), RangeError)
    await assert.rejects(server.listen({ port: 0, tls: { cert: one.cert } as never }), /needs both cert and key/)
    const address = await server.listen({ port: 0, tls: one })
    assert.ok(address.port > 0)
  })

  it('setSecureContext: new connections get the new certificate, open ones carry on; unusable credentials change nothing', async t => {
    const h = new Harness(t)
    const first = testCertificate()
    const second = newTestCertificate()
    const served = await h.serve(createServer(), { transport: 'tls' })
    const server = served.server
    const { client: alice } = await rawTls(h, served.port, 'alice', first.cert)
    await alice.login('alice')
    await alice.join('general')
    const aliceWs = await rawWs(h, `wss://127.0.0.1:${served.httpPort!}/ws`, 'alice-ws', { ca: first.cert })
    await aliceWs.login('alice-ws')

    server.setSecureContext(second)
    assert.equal(await certificateSeen(h, served.port, second.cert), fingerprintOf(second))
    assert.equal(await certificateSeen(h, served.httpPort!, second.cert), fingerprintOf(second))
    await assert.rejects(openWebSocket(h, `wss://127.0.0.1:${served.httpPort!}/ws`, { ca: first.cert }), /self-signed certificate/)
    // The connections made with the first certificate are untouched.
    assert.equal((await alice.request({ type: 'send', room: 'general', text: 'still here' })).type, 'ack')
    assert.equal((await aliceWs.request({ type: 'rooms' })).type, 'room_list')

    assert.throws(() => { server.setSecureContext({ cert: first.cert, key: second.key }) }, RangeError)
    assert.throws(() => { server.setSecureContext({ cert: 'not a certificate', key: 'nor a key' }) }, RangeError)
    assert.equal(await certificateSeen(h, served.port, second.cert), fingerprintOf(second), 'still the second certificate')
  })

  it('setSecureContext throws on a server that does not listen with TLS', async t => {
    const h = new Harness(t)
    const { server } = await h.serve(createServer(), { transport: 'tcp' })
    assert.throws(() => { server.setSecureContext(testCertificate()) }, /does not listen with tls/)
  })
})
