import { test } from 'node:test'
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import type { ChatClient, ConnectOptions } from '@chat/client'
import { createServer, MemoryStore } from '@chat/server'
import type { Account, ChatServer } from '@chat/server'
import { connect, Harness, rejectsWithCode, within } from '@chat/testing'
import { boundTransport } from './support/bound-transport.js'
import { tcpPassOnly } from './support/transport-pass.js'

const PASSWORD = 'correct horse battery staple'
const WRONG = 'not the password'

/** Registers `username` and stays logged in. */
async function register (h: Harness, url: string, username: string, password = PASSWORD, options: Omit<ConnectOptions, 'username'> = {}): Promise<ChatClient> {
  const client = await h.client(url, username, { ...options, password, register: true })
  assert.equal(client.registered, true, `${username} is on an account after registering`)
  return client
}

/** Registers `username`, then logs out, so the name is free for password logins. */
async function registerAndLeave (h: Harness, url: string, username: string, password = PASSWORD, options: Omit<ConnectOptions, 'username'> = {}): Promise<void> {
  const client = await register(h, url, username, password, options)
  await within(client.close(), `${username} to close after registering`)
}

/** Connects and closes at once; fails unless the login succeeded. */
async function loginOnce (url: string, options: ConnectOptions): Promise<{ username: string, registered: boolean }> {
  const client = await within(connect(url, options), `${options.username} to log in`)
  const { username, registered } = client
  await within(client.close(), `${options.username} to close`)
  return { username, registered }
}

/** Milliseconds a refused login took, from sending to the refusal. */
async function timedRefusal (url: string, options: ConnectOptions, code: string, what: string): Promise<number> {
  const start = performance.now()
  await rejectsWithCode(connect(url, options), code, what)
  return performance.now() - start
}

test('register logs in on a new account; the password logs in again on a new connection', async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer({ dataDir: h.tempDir() }))
  const alice = await register(h, url, 'alice')
  assert.equal(alice.username, 'alice')
  // A registered user is a full user: rooms work as for anyone.
  await within(alice.join('general'), 'alice to join')
  assert.equal((await within(alice.send('general', 'hi'), 'alice to send')).id, 1)
  await within(alice.close(), 'alice to close')

  assert.deepEqual(await loginOnce(url, { username: 'alice', password: PASSWORD }), { username: 'alice', registered: true })
  // And again: a login does not use anything up.
  const again = await h.client(url, 'alice', { password: PASSWORD })
  assert.equal(again.registered, true)
  assert.equal(server.stats().users, 1)
})

test('client.registered is false for guests and true on an account', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const guest = await h.client(url, 'guest')
  assert.equal(guest.registered, false)
  const member = await register(h, url, 'member')
  assert.equal(member.registered, true)
  await within(member.close(), 'member to close')
  const back = await h.client(url, 'member', { password: PASSWORD })
  assert.equal(back.registered, true)
})

test('a wrong password, or none, for a registered name is refused with auth_failed', tcpPassOnly('password rules and seconds of throttling, which the transport does not change'), async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer())
  await registerAndLeave(h, url, 'alice')
  await rejectsWithCode(connect(url, { username: 'alice', password: WRONG }), 'auth_failed', 'alice with a wrong password')
  await rejectsWithCode(connect(url, { username: 'alice' }), 'auth_failed', 'alice without a password')
  await rejectsWithCode(connect(url, { username: 'alice', password: '' }), 'auth_failed', 'alice with an empty password')
  // Close but not equal: passwords are compared exactly.
  await rejectsWithCode(connect(url, { username: 'alice', password: PASSWORD.toUpperCase() }), 'auth_failed', 'alice with the password in upper case')
  await rejectsWithCode(connect(url, { username: 'alice', password: PASSWORD + ' ' }), 'auth_failed', 'alice with a trailing space')
  assert.equal(server.stats().users, 0, 'no refused attempt is logged in')
  // The account is unharmed (after the throttle's delay for those failures).
  const alice = await h.client(url, 'alice', { password: PASSWORD })
  assert.equal(alice.registered, true)
})

test('name squatting: a registered or occupied name can be neither taken by a guest nor registered again', async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer())
  await registerAndLeave(h, url, 'alice')

  // A guest can't take a registered name while its owner is away.
  await rejectsWithCode(connect(url, { username: 'alice' }), 'auth_failed', 'a guest as registered alice')
  // Nor register it again, in any case, with any password.
  await rejectsWithCode(connect(url, { username: 'alice', password: 'another password', register: true }), 'name_taken', 'registering alice again')
  await rejectsWithCode(connect(url, { username: 'ALICE', password: PASSWORD, register: true }), 'name_taken', 'registering ALICE')

  // A name an online guest is using can't be registered from under them.
  const guest = await h.client(url, 'bob')
  assert.equal(guest.registered, false)
  await rejectsWithCode(connect(url, { username: 'bob', password: PASSWORD, register: true }), 'name_taken', 'registering a name an online guest uses')
  await rejectsWithCode(connect(url, { username: 'Bob', password: PASSWORD, register: true }), 'name_taken', 'registering Bob while guest bob is online')
  // The guest was not disturbed, and nothing was registered: once the guest leaves, the name is a guest name again.
  await within(guest.join('general'), 'guest bob to carry on')
  await within(guest.close(), 'guest bob to leave')
  assert.equal((await loginOnce(url, { username: 'bob' })).registered, false)

  // A registered name whose owner is online is taken too.
  const alice = await h.client(url, 'alice', { password: PASSWORD })
  await rejectsWithCode(connect(url, { username: 'alice', password: PASSWORD }), 'name_taken', 'a second alice with the right password')
  await rejectsWithCode(connect(url, { username: 'alice', password: PASSWORD, register: true }), 'name_taken', 'registering alice while she is online')
  await within(alice.rooms(), 'alice to carry on')
  assert.equal(server.stats().users, 1)
})

test('a password must be 8 to 1024 characters, else registering fails with weak_password and creates nothing', async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer())
  const weak: Array<[string, string | undefined]> = [
    ['no password', undefined], ['empty', ''], ['7 characters', '1234567'], ['1025 characters', 'p'.repeat(1025)]
  ]
  for (const [what, password] of weak) {
    const options: ConnectOptions = { username: 'carol', register: true }
    if (password !== undefined) options.password = password
    await rejectsWithCode(connect(url, options), 'weak_password', `registering with ${what}`)
  }
  assert.equal(server.stats().users, 0)
  // None of those created an account: carol is still free as a guest name.
  assert.equal((await loginOnce(url, { username: 'carol' })).registered, false)

  // The bounds themselves are fine.
  await registerAndLeave(h, url, 'short', '12345678')
  await registerAndLeave(h, url, 'long', 'p'.repeat(1024))
  assert.equal((await loginOnce(url, { username: 'short', password: '12345678' })).registered, true)
  assert.equal((await loginOnce(url, { username: 'long', password: 'p'.repeat(1024) })).registered, true)
  await rejectsWithCode(connect(url, { username: 'long', password: 'p'.repeat(1023) }), 'auth_failed', 'long with one character missing')
})

test('authMode open: no accounts; registering is refused with registration_closed; every free name is a guest', async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer({ authMode: 'open' }))
  await rejectsWithCode(connect(url, { username: 'alice', password: PASSWORD, register: true }), 'registration_closed', 'registering in open mode')
  const alice = await h.client(url, 'alice')
  assert.equal(alice.registered, false)
  assert.equal(server.stats().users, 1)
  // Uniqueness still holds.
  await rejectsWithCode(connect(url, { username: 'ALICE' }), 'name_taken', 'a second alice in open mode')
})

test('authMode accounts (the default): registered names need their password; other free names are guests; a password for an unregistered name is refused', async t => {
  for (const options of [{}, { authMode: 'accounts' as const }]) {
    await t.test(options.authMode ?? 'default', async t => {
      const h = new Harness(t)
      const { url } = await h.serve(createServer(options))
      const guest = await h.client(url, 'guest')
      assert.equal(guest.registered, false)
      await rejectsWithCode(connect(url, { username: 'nobody', password: PASSWORD }), 'auth_failed', 'a password for an unregistered name')
      await registerAndLeave(h, url, 'alice')
      await rejectsWithCode(connect(url, { username: 'alice' }), 'auth_failed', 'registered alice without her password')
      assert.equal((await loginOnce(url, { username: 'alice', password: PASSWORD })).registered, true)
    })
  }
})

test('authMode required: only registered users log in; registering is how one gets in', tcpPassOnly('password rules and seconds of throttling, which the transport does not change'), async t => {
  const h = new Harness(t)
  const { url, server } = await h.serve(createServer({ authMode: 'required' }))
  await rejectsWithCode(connect(url, { username: 'guest' }), 'auth_failed', 'a guest on a required-accounts server')
  await rejectsWithCode(connect(url, { username: 'nobody', password: PASSWORD }), 'auth_failed', 'a password for an unregistered name')
  assert.equal(server.stats().users, 0)
  const alice = await register(h, url, 'alice')
  assert.equal(alice.username, 'alice')
  await within(alice.close(), 'alice to close')
  assert.deepEqual(await loginOnce(url, { username: 'alice', password: PASSWORD }), { username: 'alice', registered: true })
  await rejectsWithCode(connect(url, { username: 'alice' }), 'auth_failed', 'alice without her password')
  await rejectsWithCode(connect(url, { username: 'alice', password: WRONG }), 'auth_failed', 'alice with a wrong password')
  await rejectsWithCode(connect(url, { username: 'carol', register: true, password: 'short' }), 'weak_password', 'a weak password in required mode')
})

test('account names are case-insensitive and keep the case they were registered with', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  await registerAndLeave(h, url, 'Alice')
  for (const spelling of ['alice', 'ALICE', 'aLiCe', 'Alice']) {
    assert.deepEqual(await loginOnce(url, { username: spelling, password: PASSWORD }), { username: 'Alice', registered: true }, `logging in as ${spelling}`)
  }
  await rejectsWithCode(connect(url, { username: 'aLICE', password: PASSWORD, register: true }), 'name_taken', 'registering aLICE')
  await rejectsWithCode(connect(url, { username: 'alice' }), 'auth_failed', 'guest alice')
})

test('accounts survive a server restart on the same data directory', async t => {
  const h = new Harness(t)
  const dataDir = h.tempDir()
  const first = await h.serve(createServer({ dataDir }))
  await registerAndLeave(h, first.url, 'Alice')
  await registerAndLeave(h, first.url, 'bob', 'bobs password')
  await within(first.close(), 'the first server to close')

  const second = await h.serve(createServer({ dataDir }))
  assert.deepEqual(await loginOnce(second.url, { username: 'alice', password: PASSWORD }), { username: 'Alice', registered: true })
  assert.deepEqual(await loginOnce(second.url, { username: 'bob', password: 'bobs password' }), { username: 'bob', registered: true })
  await rejectsWithCode(connect(second.url, { username: 'alice', password: 'bobs password' }), 'auth_failed', 'alice with bob\'s password')
  await rejectsWithCode(connect(second.url, { username: 'ALICE' }), 'auth_failed', 'a guest taking Alice after the restart')
  await rejectsWithCode(connect(second.url, { username: 'alice', password: PASSWORD, register: true }), 'name_taken', 'registering alice again after the restart')
  await within(second.close(), 'the second server to close')

  // Even a server in required mode knows them.
  const third = await h.serve(createServer({ dataDir, authMode: 'required' }))
  assert.deepEqual(await loginOnce(third.url, { username: 'ALICE', password: PASSWORD }), { username: 'Alice', registered: true })
})

// LoginThrottle: 3 failures free, then 250 ms doubling (250, 500, 1000, ...) up to 8 s.
// Only lower bounds are asserted: a slow machine may take longer, never shorter.

test('throttling: after 3 wrong passwords the next attempts wait longer and longer; the right password still works', tcpPassOnly('local addresses, and the timing of the throttle'), async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  await registerAndLeave(h, url, 'alice')
  for (let i = 1; i <= 3; i++) {
    await rejectsWithCode(connect(url, { username: 'alice', password: WRONG }), 'auth_failed', `wrong password #${i}`)
  }
  const fourth = await timedRefusal(url, { username: 'alice', password: WRONG }, 'auth_failed', 'wrong password #4')
  assert.ok(fourth >= 200, `the 4th attempt waits about 250 ms, took ${fourth.toFixed(0)} ms`)
  const fifth = await timedRefusal(url, { username: 'alice', password: WRONG }, 'auth_failed', 'wrong password #5')
  assert.ok(fifth >= 450, `the 5th attempt waits about 500 ms, took ${fifth.toFixed(0)} ms`)

  // The right password works, after its own delay (the 6th attempt: about 1 s).
  const start = performance.now()
  const alice = await h.client(url, 'alice', { password: PASSWORD })
  const took = performance.now() - start
  assert.equal(alice.registered, true)
  assert.ok(took >= 900, `the 6th attempt waits about 1 s even with the right password, took ${took.toFixed(0)} ms`)
})

test('throttling counts failures per address, across names', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  const names = ['u1', 'u2', 'u3', 'u4', 'u5']
  // Registered elsewhere: a name that logged in from an address before is not held up there (that is another test).
  for (const name of names) await registerAndLeave(h, url, name, PASSWORD, { transport: boundTransport('127.0.0.9') })
  // One wrong password per name, all from 127.0.0.1 (the Harness's address).
  for (const name of names.slice(0, 3)) {
    await rejectsWithCode(connect(url, { username: name, password: WRONG }), 'auth_failed', `a wrong password for ${name}`)
  }
  const fourth = await timedRefusal(url, { username: 'u4', password: WRONG }, 'auth_failed', 'the 4th failure from this address')
  assert.ok(fourth >= 200, `the 4th attempt from this address waits about 250 ms, took ${fourth.toFixed(0)} ms`)
  const fifth = await timedRefusal(url, { username: 'u5', password: WRONG }, 'auth_failed', 'the 5th failure from this address')
  assert.ok(fifth >= 450, `the 5th attempt from this address waits about 500 ms, took ${fifth.toFixed(0)} ms`)
  // Guests have no password to guess: they are not held up, and a guest login still works.
  assert.equal((await loginOnce(url, { username: 'guest' })).registered, false)
})

// Other loopback addresses than 127.0.0.1 answer out of the box on Linux only.
const LOOPBACK_ALIASES = process.platform === 'linux'

test('throttling counts failures per name, across addresses', { skip: tcpPassOnly('local addresses, and the timing of the throttle').skip || (!LOOPBACK_ALIASES && 'needs 127.0.0.x loopback addresses') }, async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  await registerAndLeave(h, url, 'alice')
  // Each attempt from a different loopback address: only the name links them.
  const from = (n: number): ConnectOptions => ({ username: 'alice', password: WRONG, transport: boundTransport(`127.0.0.${n}`) })
  for (let n = 2; n <= 4; n++) await rejectsWithCode(connect(url, from(n)), 'auth_failed', `a wrong password from 127.0.0.${n}`)
  const fourth = await timedRefusal(url, from(5), 'auth_failed', 'the 4th failure for alice')
  assert.ok(fourth >= 200, `the 4th attempt for alice waits about 250 ms, took ${fourth.toFixed(0)} ms`)
  const fifth = await timedRefusal(url, from(6), 'auth_failed', 'the 5th failure for alice')
  assert.ok(fifth >= 450, `the 5th attempt for alice waits about 500 ms, took ${fifth.toFixed(0)} ms`)
  // From yet another address, the right password works (after its delay) and clears the name's count.
  assert.equal((await loginOnce(url, { username: 'alice', password: PASSWORD, transport: boundTransport('127.0.0.7') })).registered, true)
  await rejectsWithCode(connect(url, from(8)), 'auth_failed', 'a wrong password after a success, from a fresh address')
})

test('throttling also holds for attempts made at the same time on parallel connections', tcpPassOnly('local addresses, and the timing of the throttle'), async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer())
  await registerAndLeave(h, url, 'alice')
  for (let i = 1; i <= 3; i++) {
    await rejectsWithCode(connect(url, { username: 'alice', password: WRONG }), 'auth_failed', `wrong password #${i}`)
  }
  // Attempts 4 to 7 at once: made one after another, they would wait 250, 500, 1000 and 2000 ms.
  const start = performance.now()
  await within(Promise.all([0, 1, 2, 3].map(async i =>
    await rejectsWithCode(connect(url, { username: 'alice', password: WRONG }), 'auth_failed', `parallel wrong password #${i + 4}`)
  )), 'the parallel attempts to be refused')
  const took = performance.now() - start
  assert.ok(took >= 1500, `4 parallel guesses after 3 failures should be delayed 250, 500, 1000 and 2000 ms, as if made one after another (asserting the last took >= 1.5 s); took ${took.toFixed(0)} ms`)
})

/** The memory store, telling when an account is looked up: a registration does it right before hashing the password. */
class WatchedStore extends MemoryStore {
  private readonly watched = new Map<string, () => void>()

  /** Settles at the next lookup of `userKey`. */
  async lookup (userKey: string): Promise<void> {
    await new Promise<void>(resolve => { this.watched.set(userKey, resolve) })
  }

  override getAccount (userKey: string): Account | undefined {
    this.watched.get(userKey)?.()
    this.watched.delete(userKey)
    return super.getAccount(userKey)
  }
}

test('a registration racing a guest login for the same name does not leave both', async t => {
  const h = new Harness(t)
  const store = new WatchedStore()
  const { url, server } = await h.serve(createServer({ store }))
  t.diagnostic(await raceRegistrationAndGuest(h, url, server, store))
})

/** Returns who won. */
async function raceRegistrationAndGuest (h: Harness, url: string, server: ChatServer, store: WatchedStore): Promise<string> {
  // The registration hashes the password (tens of ms); the guest's login meanwhile is synchronous.
  const hashing = store.lookup('dave')
  const registering = connect(url, { username: 'dave', password: PASSWORD, register: true }).then(
    client => { h.defer('closing registered dave', async () => { await client.close() }); return 'welcomed' },
    (err: { code?: string }) => err.code ?? String(err))
  // The guest comes once the registration has checked the name is free and started hashing: inside the window.
  await within(hashing, 'the registration to look dave up before hashing')
  const guest = await connect(url, { username: 'dave' }).then(
    client => { h.defer('closing guest dave', async () => { await client.close() }); return 'welcomed' },
    (err: { code?: string }) => err.code ?? String(err))
  const registration = await within(registering, 'the registration to be answered')
  const accountExists = await server.store.getAccount('dave') !== undefined
  // Either the registration wins (and the guest is refused), or the guest wins and nothing is registered.
  if (guest === 'welcomed') {
    assert.notEqual(registration, 'welcomed', 'guest dave and registered dave are not both online')
    assert.equal(accountExists, false, `the registration was answered ${registration}, yet an account for dave exists (with a password its owner was told was not taken)`)
    return `the guest won; the registration was answered ${registration}`
  } else {
    assert.equal(registration, 'welcomed')
    assert.equal(accountExists, true)
    return `the registration won; the guest was answered ${guest}`
  }
}
