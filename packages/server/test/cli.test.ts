import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Harness } from '@chat/testing'
import { DATABASE_FILE } from '../src/index.js'

/** The compiled CLI, next to this compiled test: dist/test/cli.test.js -> dist/src/bin.js. */
const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))

// Every run gets its own data directory (or --memory) and port 0: never the user's ./data or port 7777,
// so the tests pass while `pnpm start` runs in the same checkout.

describe('chat-server CLI', () => {
  it('listens on --port 0, serves clients, and exits 0 on SIGTERM after saying bye', async t => {
    const h = new Harness(t)
    // The default data directory, ./data, in a directory of its own.
    const cwd = h.tempDir('chat-cli-')
    const proc = await h.serverProcess([BIN, '--port', '0', '--host', '127.0.0.1'], { cwd })
    assert.equal(proc.host, '127.0.0.1')
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
    const proc = await h.serverProcess([BIN, '--memory', '--port', '0', '--heartbeat-interval-ms', '1500', '--heartbeat-timeout-ms', '4500', '--max-frame-bytes', '20000', '--max-text-bytes', '300'])
    assert.match(proc.stderr, /keeping messages in memory only/)
    const client = await h.raw(proc.port, 'alice')
    const welcome = await client.login('alice')
    assert.deepEqual(
      [welcome.heartbeatIntervalMs, welcome.heartbeatTimeoutMs, welcome.maxFrameBytes, welcome.maxTextBytes],
      [1500, 4500, 20000, 300])
    proc.signal('SIGINT')
    const { code } = await proc.waitExit('the server to exit')
    assert.equal(code, 0)
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
  })

  it('exits with code 1 when the options are refused by the server', async t => {
    const h = new Harness(t)
    const data = h.tempDir('chat-cli-')
    const proc = h.node([BIN, '--data', data, '--port', '0', '--heartbeat-interval-ms', '5000', '--heartbeat-timeout-ms', '1000'])
    const { code } = await proc.waitExit('the CLI to exit')
    assert.equal(code, 1)
    assert.match(proc.stderr, /heartbeatTimeoutMs must be longer than heartbeatIntervalMs/)
  })
})
