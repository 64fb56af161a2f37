import { describe, it } from 'node:test'
import type { TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { connect as tlsConnect } from 'node:tls'
import { encodeFrame, PROTOCOL_VERSION } from '@chat/protocol'
import { Harness, sleep, waitUntil, within } from '@chat/testing'
import type { TestTransport } from '@chat/testing'
import { createServer } from '../src/index.js'
import type { ChatServer } from '../src/index.js'
import { readUntilClosed, socketTo } from './transport-clients.js'

// A client that holds a socket without finishing its TLS handshake or its HTTP request, or speaks the
// wrong thing on a TLS port: refused within the bound, counted, and nobody else notices.

const HANDSHAKE_MS = 200

/** A server with the short bound, and a logged-in SDK client on it over `transport` that must not notice anything. */
async function setup (t: TestContext, transport: TestTransport) {
  const h = new Harness(t)
  const served = await h.serve(createServer({ handshakeTimeoutMs: HANDSHAKE_MS }), { transport })
  const bystander = await h.client(served.url, 'bystander')
  await within(bystander.join('general'), 'the bystander to join')
  return { h, ...served, bystander }
}

/** The bystander still round-trips, and was never disconnected. */
async function bystanderUnaffected (served: { bystander: Awaited<ReturnType<Harness['client']>> }): Promise<void> {
  const ack = await within(served.bystander.send('general', 'unaffected'), 'the bystander\'s send')
  assert.ok(ack.id > 0)
  assert.equal(served.bystander.isClosed, false)
}

function assertBounded (ms: number): void {
  assert.ok(ms < HANDSHAKE_MS + 1_500, `closed after ${ms} ms (bound ${HANDSHAKE_MS} ms)`)
}

describe('handshake limits', () => {
  it('HTTP: a connection that sends nothing is closed after handshakeTimeoutMs, and counted', async t => {
    const s = await setup(t, 'ws')
    const socket = await socketTo(s.h, s.httpPort!)
    const { ms } = await readUntilClosed(socket, 'the idle socket to be closed')
    assertBounded(ms)
    await waitUntil(() => s.server.transportStats().handshakeTimeouts === 1, 'the timeout to be counted')
    await bystanderUnaffected(s)
  })

  it('HTTP: an idle connection is counted once when its two timers fire in the same turn (the loop blocked past the bound)', async t => {
    const s = await setup(t, 'ws')
    // Idle sockets opened 7 ms apart, then the loop blocked from before the first one's bound to past the last one's:
    // for some, the idle timer and Node's request-timeout check (every 50 ms here) come due in the same turn, in one
    // order or the other. Four rounds, each blocking at another point of that check's period.
    let opened = 0
    for (let round = 0; round < 4; round++) {
      const sockets = []
      for (let i = 0; i < 8; i++) {
        sockets.push(await socketTo(s.h, s.httpPort!))
        await sleep(7)
      }
      opened += sockets.length
      await sleep(HANDSHAKE_MS / 2 + round * 13)
      const until = Date.now() + HANDSHAKE_MS
      while (Date.now() < until) { /* blocked, as on a loaded machine */ }
      await Promise.all(sockets.map(async socket => await readUntilClosed(socket, 'an idle socket to be closed')))
    }
    await sleep(HANDSHAKE_MS)
    assert.equal(s.server.transportStats().handshakeTimeouts, opened)
    await bystanderUnaffected(s)
  })

  it('HTTP: an upgrade request whose headers stall gets 408 and is closed, and counted', async t => {
    const s = await setup(t, 'ws')
    const socket = await socketTo(s.h, s.httpPort!)
    socket.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n')
    // One header line now and then: the socket is never idle, but the headers never end.
    const drip = setInterval(() => { if (!socket.destroyed) socket.write('X-Drip: 1\r\n') }, HANDSHAKE_MS / 4)
    s.h.defer('stopping the drip', () => { clearInterval(drip) })
    const { text, ms } = await readUntilClosed(socket, 'the stalled request to be closed')
    clearInterval(drip)
    assert.match(text, /^HTTP\/1\.1 408 Request Timeout\r\n/)
    assertBounded(ms)
    assert.equal(s.server.transportStats().handshakeTimeouts, 1)
    await bystanderUnaffected(s)
  })

  it('TLS port: a client that never starts its handshake is closed after handshakeTimeoutMs, and counted', async t => {
    const s = await setup(t, 'tls')
    const socket = await socketTo(s.h, s.port)
    const { ms } = await readUntilClosed(socket, 'the silent TCP client to be closed')
    assertBounded(ms)
    await waitUntil(() => s.server.transportStats().handshakeTimeouts === 1, 'the timeout to be counted')
    await bystanderUnaffected(s)
  })

  it('TLS port: a plain TCP client speaking the protocol is refused (the socket closed) and counted as a TLS error', async t => {
    const s = await setup(t, 'tls')
    const socket = await socketTo(s.h, s.port)
    socket.write(encodeFrame({ type: 'hello', v: PROTOCOL_VERSION, req: 1, username: 'plain' }))
    const { text, ms } = await readUntilClosed(socket, 'the plain client to be closed')
    assert.doesNotMatch(text, /welcome/)
    assertBounded(ms)
    await waitUntil(() => s.server.transportStats().tlsErrors === 1, 'the TLS error to be counted')
    assert.equal(s.server.stats().users, 1, 'only the bystander is logged in')
    await bystanderUnaffected(s)
  })

  it('HTTPS port: a client that stalls its handshake, and one that refuses the certificate, are closed and counted', async t => {
    const s = await setup(t, 'wss')
    const silent = await socketTo(s.h, s.httpPort!)
    assertBounded((await readUntilClosed(silent, 'the silent client to be closed')).ms)
    await waitUntil(() => s.server.transportStats().handshakeTimeouts === 1, 'the timeout to be counted')
    // A client that does not trust the certificate aborts the handshake: an error on the server's side too.
    const distrustful = tlsConnect({ host: '127.0.0.1', port: s.httpPort! })
    distrustful.on('error', () => {})
    s.h.defer('destroying the distrustful client', () => { distrustful.destroy() })
    await readUntilClosed(distrustful, 'the distrustful client to give up')
    await waitUntil(() => s.server.transportStats().tlsErrors === 1, 'the TLS error to be counted')
    await bystanderUnaffected(s)
  })

  for (const transport of ['ws', 'wss', 'tls'] as const) {
    it(`the bound is for the handshake only: a ${transport}:// connection quiet for longer stays open`, async t => {
      const s = await setup(t, transport)
      await sleep(HANDSHAKE_MS * 3)
      await bystanderUnaffected(s)
      assert.equal(s.server.transportStats().handshakeTimeouts, 0)
    })
  }

  it('the bound is handshakeTimeoutMs, 10 s by default; counters start at zero', async t => {
    const h = new Harness(t)
    const server: ChatServer = h.own(createServer())
    assert.equal(server.options.handshakeTimeoutMs, 10_000)
    assert.deepEqual(server.transportStats(), {
      refusedOrigins: 0, badUpgrades: 0, malformedRequests: 0, textMessages: 0, oversizedMessages: 0, handshakeTimeouts: 0, tlsErrors: 0
    })
    assert.throws(() => createServer({ handshakeTimeoutMs: 0 }), /handshakeTimeoutMs must be a positive integer/)
  })
})
