import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Harness } from '@chat/testing'
import { DATABASE_FILE } from '../src/index.js'
import { damage, databaseWith, PAGE } from './damaged-files.fixture.js'

/** The compiled CLI, next to this compiled test: dist/test/cli.test.js -> dist/src/bin.js. */
const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))

// Every run gets its own data directory (or --memory) and port 0: never the user's ./data or port 7777,
// so the tests pass while `pnpm start` runs in the same checkout.

describe('chat-server CLI', () => {
  it('listens on --port 0 and --http-port 0, serves clients, and exits 0 on SIGTERM after saying bye', async t => {
    const h = new Harness(t)
    // The default data directory, ./data, in a directory of its own.
    const cwd = h.tempDir('chat-cli-')
    const proc = await h.serverProcess([BIN, '--port', '0', '--http-port', '0', '--host', '127.0.0.1'], { cwd })
    assert.equal(proc.host, '127.0.0.1')
    const [, httpPort] = await proc.waitFor(/http listening on 127\.0\.0\.1:(\d+) \(WebSocket at \/ws\)/, 'the http line')
    assert.notEqual(Number(httpPort), proc.port)
    assert.ok(existsSync(join(cwd, 'data', DATABASE_FILE)), 'the store is in ./data')
    const client = await h.raw(proc.port, 'alice')
    const welcome = await client.login('alice')
    assert.equal(welcome.heartbeatIntervalMs, 10_000)
    await client.join('general')
    const ack = await client.request({ type: 'send', room: 'general', text: 'hello from a test' })
    assert.equal(ack.type, 'ack')

    proc.signal('SIGTERM')
    const bye = await client.nextOfType('bye')
    assert.equal(bye.code, 'server_shutdown')
    await client.waitClosed()
    const { code, signal } = await proc.waitExit('the server to exit')
    assert.deepEqual({ code, signal }, { code: 0, signal: null })
    assert.match(proc.stderr, /SIGTERM received/)
  })

  it('passes its flags to the server', async t => {
    const h = new Harness(t)
    const proc = await h.serverProcess([BIN, '--memory', '--port', '0', '--no-http', '--heartbeat-interval-ms', '1500', '--heartbeat-timeout-ms', '4500', '--max-frame-bytes', '20000', '--max-text-bytes', '300'])
    assert.match(proc.stderr, /keeping messages in memory only/)
    assert.doesNotMatch(proc.stderr, /http listening/, '--no-http')
    const client = await h.raw(proc.port, 'alice')
    const welcome = await client.login('alice')
    assert.deepEqual(
      [welcome.heartbeatIntervalMs, welcome.heartbeatTimeoutMs, welcome.maxFrameBytes, welcome.maxTextBytes],
      [1500, 4500, 20000, 300])
    proc.signal('SIGINT')
    const { code } = await proc.waitExit('the server to exit')
    assert.equal(code, 0)
  })

  it('--no-typing and --no-read-markers answer those requests unknown_type; --read-receipts names the rooms with receipts', async t => {
    const h = new Harness(t)
    const off = await h.serverProcess([BIN, '--memory', '--port', '0', '--no-http', '--no-typing', '--no-read-markers'])
    const alice = await h.raw(off.port, 'alice')
    await alice.login('alice')
    for (const request of [{ type: 'typing', room: 'general', active: true }, { type: 'read', room: 'general', id: 1 }, { type: 'unread', with: 'bob' }]) {
      const reply = await alice.request(request)
      assert.equal(reply.type === 'error' && reply.code, 'unknown_type', request.type)
    }
    const on = await h.serverProcess([BIN, '--memory', '--port', '0', '--no-http', '--read-receipts', 'general, side'])
    const bob = await h.raw(on.port, 'bob')
    await bob.login('bob')
    await bob.join('general')
    assert.equal((await bob.request({ type: 'typing', room: 'general', active: true })).type, 'ok')
    const bad = h.node([BIN, '--memory', '--port', '0', '--no-http', '--read-receipts', 'general,Not A Room'])
    assert.equal((await bad.waitExit()).code, 2)
    assert.match(bad.stderr, /--read-receipts needs room names/)
  })

  it('passes its limits flags to the server', async t => {
    const h = new Harness(t)
    const proc = await h.serverProcess([BIN, '--memory', '--port', '0', '--no-http', '--login-timeout-ms', '1000', '--max-connections-per-ip', '2',
      '--messages-per-second', '7', '--bytes-per-second', '0', '--requests-per-second', '3', '--request-burst', '5'])
    const alice = await h.raw(proc.port, 'alice')
    const welcome = await alice.login('alice')
    assert.deepEqual([welcome.messagesPerSecond, welcome.messageBurst, welcome.bytesPerSecond, welcome.requestsPerSecond, welcome.requestBurst], [7, 14, undefined, 3, 5])
    await h.user(proc.port, 'second')
    const third = await h.raw(proc.port, 'third')
    assert.equal((await third.nextOfType('error')).code, 'too_many_connections')
    // From another address: not over its cap, and closed at the deadline for not logging in.
    const idle = await h.raw(proc.port, 'idle', { localAddress: '127.0.0.2' })
    assert.equal((await idle.nextOfType('error')).code, 'login_timeout')
  })

  it('warns at start when the process may open fewer files than --max-connections needs', { skip: process.platform !== 'linux' && 'reads /proc/self/limits' }, async t => {
    const h = new Harness(t)
    const proc = await h.serverProcess(['-c', `ulimit -n 512 && exec "${process.execPath}" "${BIN}" --memory --port 0 --no-http`], { command: 'bash' })
    const client = await h.raw(proc.port, 'alice')
    await client.login('alice')
    assert.match(proc.stderr, /may open 512 files, fewer than maxConnections \(10000\) needs/)
    const quiet = await h.serverProcess(['-c', `ulimit -n 512 && exec "${process.execPath}" "${BIN}" --memory --port 0 --no-http --max-connections 400`], { command: 'bash' })
    await (await h.raw(quiet.port, 'bob')).login('bob')
    assert.doesNotMatch(quiet.stderr, /may open/)
  })

  it('exits with code 2 and the usage on a port that is not a number', async t => {
    const h = new Harness(t)
    const proc = h.node([BIN, '--memory', '--port', 'abc'])
    const { code } = await proc.waitExit('the CLI to exit')
    assert.equal(code, 2)
    assert.match(proc.stderr, /--port needs a whole number, got "abc"/)
    assert.match(proc.stderr, /Usage: chat-server/)
  })

  it('exits with code 2 and the usage on an unknown flag, without a stack trace', async t => {
    const h = new Harness(t)
    const proc = h.node([BIN, '--memory', '--bogus'])
    const { code } = await proc.waitExit('the CLI to exit')
    assert.equal(code, 2, proc.stderr)
    assert.match(proc.stderr, /--bogus/)
    assert.match(proc.stderr, /Usage: chat-server/)
    assert.doesNotMatch(proc.stderr, /\n\s+at /, 'no stack trace')
  })

  it('prints the usage on --help and exits 0', async t => {
    const h = new Harness(t)
    const proc = h.node([BIN, '--help'])
    const { code } = await proc.waitExit('the CLI to exit')
    assert.equal(code, 0)
    assert.match(proc.stdout, /Usage: chat-server/)
    assert.match(proc.stdout, /--max-queued-bytes/)
    assert.match(proc.stdout, /--max-connections-per-ip/)
    assert.match(proc.stdout, /--max-pending-requests <n> .*\(default 8\)/)
    assert.match(proc.stdout, /--pages-per-second <n> .*\(default 200\)/)
  })

  it('passes --max-pending-requests and --pages-per-second to the server, which refuses a zero', async t => {
    const h = new Harness(t)
    for (const flag of ['--max-pending-requests', '--pages-per-second']) {
      const proc = h.node([BIN, '--memory', '--port', '0', '--no-http', flag, '0'])
      const { code } = await proc.waitExit('the CLI to exit')
      assert.equal(code, 1, proc.stderr)
      assert.match(proc.stderr, /(maxPendingRequests|pagesPerSecond) must be a positive integer, got 0/)
    }
  })

  it('exits with code 1 when the options are refused by the server', async t => {
    const h = new Harness(t)
    const data = h.tempDir('chat-cli-')
    const proc = h.node([BIN, '--data', data, '--port', '0', '--no-http', '--heartbeat-interval-ms', '5000', '--heartbeat-timeout-ms', '1000'])
    const { code } = await proc.waitExit('the CLI to exit')
    assert.equal(code, 1)
    assert.match(proc.stderr, /heartbeatTimeoutMs must be longer than heartbeatIntervalMs/)
  })

  it('refuses to start (exit 1, store_missing) where chat.db was deleted after a crash left its -wal; --init starts an empty store', async t => {
    const h = new Harness(t)
    const data = h.tempDir('chat-cli-')
    const first = await h.serverProcess([BIN, '--data', data, '--port', '0', '--no-http', '--auth', 'open'])
    const client = await h.raw(first.port, 'alice')
    await client.login('alice')
    await client.join('general')
    for (const text of ['one', 'two']) assert.equal((await client.request({ type: 'send', room: 'general', text })).type, 'ack')
    await first.kill() // a crash: the WAL is not merged
    assert.ok(existsSync(join(data, `${DATABASE_FILE}-wal`)), 'the crash left chat.db-wal')
    rmSync(join(data, DATABASE_FILE))

    const refused = h.node([BIN, '--data', data, '--port', '0', '--no-http'])
    assert.equal((await refused.waitExit()).code, 1, refused.stderr)
    assert.match(refused.stderr, /chat-server: store_missing: .*chat\.db is missing, but a database existed/)
    assert.match(refused.stderr, /--init/)
    assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace')
    assert.ok(!existsSync(join(data, DATABASE_FILE)), 'no empty database was made')

    const fresh = await h.serverProcess([BIN, '--data', data, '--port', '0', '--no-http', '--auth', 'open', '--init'])
    assert.match(fresh.stderr, /"level":40,[^\n]*"msg":"--init: a new database [^"]*moved aside [^"]*chat\.db-wal/)
    assert.ok(readdirSync(data).some(name => name.startsWith(`${DATABASE_FILE}-wal.orphaned-`)), 'the old -wal is kept aside')
    const again = await h.raw(fresh.port, 'alice again')
    await again.login('alice')
    await again.join('general')
    const page = await again.request({ type: 'history', room: 'general' })
    assert.deepEqual(page.type === 'history_page' && page.messages, [], 'a new, empty store')
  })

  it('refuses to start (exit 1, store_corrupt) on a damaged chat.db; check lists the problems and exits 1', async t => {
    const h = new Harness(t)
    const data = h.tempDir('chat-cli-')
    databaseWith(data, 300)
    damage(join(data, DATABASE_FILE), 2 * PAGE, 8 * 1024)

    const refused = h.node([BIN, '--data', data, '--port', '0', '--no-http'])
    assert.equal((await refused.waitExit()).code, 1, refused.stderr)
    assert.match(refused.stderr, /chat-server: store_corrupt: .*chat\.db is damaged: .+chat-server check --data/)
    assert.doesNotMatch(refused.stderr, /listening on/)

    const check = h.node([BIN, 'check', '--data', data])
    assert.equal((await check.waitExit()).code, 1, check.stdout + check.stderr)
    assert.match(check.stdout, /chat\.db is damaged: \d+ problem\(s\) found by integrity_check\n {2}\S/)
  })

  it('check: ok and exit 0 on a sound database; exit 1 on none, or on one a server holds', async t => {
    const h = new Harness(t)
    const data = h.tempDir('chat-cli-')
    databaseWith(data, 10)
    const ok = h.node([BIN, 'check', '--data', data])
    assert.equal((await ok.waitExit()).code, 0, ok.stderr)
    assert.match(ok.stdout, /^ok: .*chat\.db \(integrity_check, \d+ ms\)\n$/)

    const none = h.node([BIN, 'check', '--data', join(data, 'nothing-here')])
    assert.equal((await none.waitExit()).code, 1)
    assert.match(none.stderr, /store_missing: there is no .*chat\.db/)

    const server = await h.serverProcess([BIN, '--data', data, '--port', '0', '--no-http'])
    assert.match(server.stderr, /chat\.db checked \(quick_check\) in \d+ ms/)
    const busy = h.node([BIN, 'check', '--data', data])
    assert.equal((await busy.waitExit()).code, 1)
    assert.match(busy.stderr, /store_in_use: .*in use by a running server/)

    const help = h.node([BIN, 'check', '--help'])
    assert.equal((await help.waitExit()).code, 0)
    assert.match(help.stdout, /Usage: chat-server check/)
  })
})
