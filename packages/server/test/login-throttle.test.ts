import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { PROTOCOL_VERSION } from '@chat/protocol'
import type { ServerMessage } from '@chat/protocol'
import { Harness, RawClient, within } from '@chat/testing'
import { duplexPair } from '@chat/transport'
import { createServer } from '../src/index.js'
import type { ChatServer, ServerOptions } from '../src/index.js'
import { LoginThrottle } from '../src/session/login-throttle.js'

const PASSWORD = 'correct horse battery staple'
const WRONG = 'not the password'

/** A raw client whose server side says it comes from `address` (as a TCP client from there would). */
function from (h: Harness, server: ChatServer, address: string, name = address): RawClient {
  h.own(server)
  const [serverEnd, clientEnd] = duplexPair({ allowHalfOpen: true, names: [`${address}:40000`, 'memory:server'] })
  const client = new RawClient(clientEnd, name)
  h.defer(`closing ${name}`, async () => { await client.close() })
  server.accept(serverEnd)
  return client
}

async function hello (client: RawClient, username: string, password: string, register = false): Promise<ServerMessage> {
  return await client.request({ type: 'hello', v: PROTOCOL_VERSION, username, password, ...register ? { register } : {} })
}

/** Registers `username` from `address` and leaves. */
async function registered (h: Harness, server: ChatServer, username: string, address: string): Promise<void> {
  const client = from(h, server, address, `${username} registering`)
  assert.equal((await hello(client, username, PASSWORD, true)).type, 'welcome')
  await client.close()
}

/** A server whose registrations are not limited (these tests register several accounts from one place). */
function serverWith (options: ServerOptions = {}): ChatServer {
  return createServer({ registrationsPerHour: 0, ...options })
}

describe('login throttling', () => {
  it('100 wrong guesses at once from 100 addresses are spaced as if made one after another; those that would wait over 8 s are refused with rate_limited', { timeout: 60_000 }, async t => {
    const h = new Harness(t)
    const server = serverWith()
    await registered(h, server, 'alice', '192.0.2.1')
    const started = performance.now()
    const replies = await within(Promise.all(Array.from({ length: 100 }, async (_, i) =>
      await hello(from(h, server, `198.51.100.${i + 1}`), 'alice', WRONG))), 'every guess answered', 30_000)
    const seconds = (performance.now() - started) / 1000
    const checked = replies.filter(r => r.type === 'error' && r.code === 'auth_failed').length
    const refused = replies.filter(r => r.type === 'error' && r.code === 'rate_limited')
    t.diagnostic(`${checked} guesses checked in ${seconds.toFixed(1)} s, ${refused.length} refused with rate_limited`)
    assert.equal(checked + refused.length, 100)
    // 3 free, then 250, 500, 1000, 2000, 4000 ms apart; the next would start over 8 s from now.
    assert.ok(checked <= 10, `${checked} guesses were checked (one at a time they would be: 8)`)
    assert.ok(checked / seconds < 3, `${(checked / seconds).toFixed(1)} guesses/s`)
    for (const r of refused) assert.ok(r.type === 'error' && r.retryAfterMs! > 0 && r.retryAfterMs! <= 60_000, JSON.stringify(r))
  })

  it('under attack, the owner logging in from an address it logged in from before is not delayed, nor is another user behind the attacker\'s address', { timeout: 60_000 }, async t => {
    const h = new Harness(t)
    const server = serverWith()
    await registered(h, server, 'alice', '192.0.2.1') // the owner's address
    await registered(h, server, 'bob', '203.0.113.7') // bob shares the attacker's address
    // The attack: wrong passwords for alice, from bob's address and from others, a few at a time, until the end of the test.
    let attacking = true
    const attack = (async () => {
      for (let round = 0; attacking; round++) {
        await Promise.all([`203.0.113.7`, `198.51.100.${round % 50}`].map(async address => await hello(from(h, server, address), 'alice', WRONG)))
      }
    })()
    // Until the account and the attacker's address are deep into their delays.
    await new Promise(resolve => setTimeout(resolve, 1_500))
    const timed = async (username: string, address: string): Promise<number> => {
      const start = performance.now()
      const reply = await hello(from(h, server, address), username, PASSWORD)
      assert.equal(reply.type, 'welcome', `${username}: ${JSON.stringify(reply)}`)
      return performance.now() - start
    }
    const owner = await timed('alice', '192.0.2.1')
    const neighbour = await timed('bob', '203.0.113.7')
    attacking = false
    await attack
    t.diagnostic(`the owner got in in ${owner.toFixed(0)} ms, the neighbour in ${neighbour.toFixed(0)} ms`)
    // A password check (scrypt) takes tens of ms; the throttle's delays are 250 ms to 8 s.
    assert.ok(owner < 1_000, `the owner waited ${owner.toFixed(0)} ms`)
    assert.ok(neighbour < 1_000, `bob waited ${neighbour.toFixed(0)} ms`)
  })

  it('a right password from an address and for an account without failures is not delayed; from an untrusted address under attack it is', async () => {
    const throttle = new LoginThrottle()
    const now = 1_000_000
    assert.equal(throttle.begin('carol', '192.0.2.9', now).delayMs, 0)
    for (let i = 0; i < 3; i++) throttle.begin('alice', `198.51.100.${i}`, now).finish(true)
    // The account has 3 failures: a check from a new address waits its turn.
    assert.equal(throttle.begin('alice', '192.0.2.50', now).delayMs, 250)
  })

  it('limits registrations per address (5 an hour by default): the 6th is refused with rate_limited; another address may register', { timeout: 30_000 }, async t => {
    const h = new Harness(t)
    const server = createServer()
    for (let i = 0; i < 5; i++) await registered(h, server, `user${i}`, '192.0.2.44')
    const sixth = await hello(from(h, server, '192.0.2.44'), 'user5', PASSWORD, true)
    assert.equal(sixth.type === 'error' && sixth.code, 'rate_limited', JSON.stringify(sixth))
    // A token comes back every 12 minutes.
    assert.ok(sixth.type === 'error' && sixth.retryAfterMs! > 60_000 && sixth.retryAfterMs! <= 12 * 60_000, JSON.stringify(sixth))
    // Refused registrations (a weak password) do not count.
    assert.equal((await hello(from(h, server, '192.0.2.45'), 'weak', 'short', true)).type === 'error', true)
    await registered(h, server, 'user5', '192.0.2.45')
  })

  it('while a hello waits on the throttle, the connection\'s pings are answered and it is not dropped for silence', { timeout: 30_000 }, async t => {
    const h = new Harness(t)
    // A heartbeat timeout shorter than the throttle's delays.
    const server = serverWith({ heartbeatIntervalMs: 50, heartbeatTimeoutMs: 200 })
    await registered(h, server, 'alice', '192.0.2.1')
    for (let i = 0; i < 5; i++) assert.equal((await hello(from(h, server, '198.51.100.1'), 'alice', WRONG)).type, 'error')
    // The 6th failure from this address waits 1 s before its check.
    const client = from(h, server, '198.51.100.1')
    const req = client.req()
    const started = performance.now()
    client.send({ type: 'hello', v: PROTOCOL_VERSION, req, username: 'alice', password: WRONG })
    client.send({ type: 'ping', n: 77 })
    const pong = await client.nextOfType('pong', m => m.n === 77)
    assert.equal(pong.n, 77)
    const reply = await client.next(m => 're' in m && m.re === req, 'the answer to the hello')
    const took = performance.now() - started
    assert.equal(reply.type === 'error' && reply.code, 'auth_failed')
    assert.ok(took >= 900, `the hello was delayed (${took.toFixed(0)} ms)`)
    assert.ok(client.received.indexOf(pong) < client.received.indexOf(reply), 'the pong came while the hello waited')
    assert.equal(client.received.some(m => m.type === 'error' && m.code === 'heartbeat_timeout'), false)
    assert.equal(client.isClosed, false)
  })

  it('a hello still being decided at the login deadline is answered, not cut off', { timeout: 30_000 }, async t => {
    const h = new Harness(t)
    const server = serverWith({ loginTimeoutMs: 300 })
    await registered(h, server, 'alice', '192.0.2.1')
    for (let i = 0; i < 5; i++) assert.equal((await hello(from(h, server, '198.51.100.1'), 'alice', WRONG)).type, 'error')
    // From a fresh address, with the right password: it waits the account's turn (about 1 s), past the deadline.
    const client = from(h, server, '198.51.100.2')
    const started = performance.now()
    const reply = await hello(client, 'alice', PASSWORD)
    assert.equal(reply.type, 'welcome')
    assert.ok(performance.now() - started > 300, 'precondition: the answer came after the deadline')
    assert.deepEqual(client.received.map(m => m.type), ['welcome'], 'nothing came before it')
    assert.equal(client.isClosed, false)
  })
})
