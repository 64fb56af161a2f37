import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Harness, sleep } from '../src/index.js'
import { FakeServer } from './fake-server.js'

/** A TestContext stand-in whose `after` hook the test runs itself. */
function fakeContext (): { t: { after: (fn: () => Promise<void>) => void }, runAfter: () => Promise<void> } {
  let hook: (() => Promise<void>) | undefined
  return {
    t: { after: fn => { hook = fn } },
    runAfter: async () => { await hook!() }
  }
}

describe('Harness', () => {
  it('cleans up newest first, and removes temporary directories last, once nothing uses them', async () => {
    const { t, runAfter } = fakeContext()
    const h = new Harness(t)
    const order: string[] = []
    const dir = h.tempDir()
    h.defer('first', () => { order.push('first'); assert.ok(existsSync(dir), 'the directory is still there for the last user') })
    const late = h.tempDir() // made after its user registered: still removed only at the end
    h.defer('second', async () => { await sleep(1); order.push('second'); writeFileSync(join(late, 'x'), 'x') })
    await runAfter()
    assert.deepEqual(order, ['second', 'first'])
    assert.equal(existsSync(dir), false)
    assert.equal(existsSync(late), false)
  })

  it('bounds each cleanup step, runs the others anyway and reports every failure', async () => {
    const { t, runAfter } = fakeContext()
    const h = new Harness(t, { cleanupMs: 50 })
    const ran: string[] = []
    h.defer('a step that never ends', async () => { await new Promise(() => {}) })
    h.defer('a step that throws', () => { ran.push('throws'); throw new Error('boom') })
    h.defer('a fine step', () => { ran.push('fine') })
    await assert.rejects(runAfter(), (err: AggregateError) => {
      assert.equal(err.errors.length, 2)
      assert.match(err.message, /boom/)
      assert.match(err.message, /timed out after 50 ms waiting for a step that never ends/)
      return true
    })
    assert.deepEqual(ran, ['fine', 'throws'])
  })

  it('closes in-memory clients before the server they are connected to', async () => {
    const { t, runAfter } = fakeContext()
    const h = new Harness(t)
    const server = new FakeServer()
    const alice = await h.user(server, 'alice')
    const bob = h.connect(server, 'bob')
    await runAfter()
    assert.equal(alice.isClosed && bob.isClosed, true)
    // They ended their side and the server answered with its end: nobody was cut off.
    assert.equal(alice.endReceived && bob.endReceived, true)
    assert.equal(server.closed, true)
  })

  it('usersIn logs every user in, then joins each to all the rooms in order, one user after the other', async t => {
    const h = new Harness(t)
    const server = new FakeServer()
    const log: string[] = []
    server.script = (message, _reply, duplex) => {
      const who = `#${server.duplexes.indexOf(duplex) + 1}`
      log.push(message.type === 'hello' ? `${who} hello ${message.username}` : message.type === 'join' ? `${who} join ${message.room}` : `${who} ${message.type}`)
      return false
    }
    const clients = await h.usersIn(server, ['one', 'two'], 'alice', 'Bob', 'carol')
    assert.deepEqual(clients.map(c => c.name), ['alice', 'Bob', 'carol'])
    assert.deepEqual(log, [
      '#1 hello alice', '#2 hello Bob', '#3 hello carol',
      '#1 join one', '#1 join two', '#2 join one', '#2 join two', '#3 join one', '#3 join two'
    ])
    assert.ok(clients.every(c => c.serverSide !== undefined && !c.isClosed), 'in memory, as h.user')

    log.length = 0
    const [dave] = await h.usersIn(server, 'general', 'dave')
    assert.equal(dave.name, 'dave')
    assert.deepEqual(log, ['#4 hello dave', '#4 join general'])
    log.length = 0
    await h.usersIn(server, [], 'erin', 'frank')
    assert.deepEqual(log, ['#5 hello erin', '#6 hello frank'], 'no rooms: only logged in')
  })

  it('usersIn fails, naming the client and the room, when a join is refused', async t => {
    const h = new Harness(t)
    const server = new FakeServer()
    server.script = (message, reply) => {
      if (message.type !== 'join' || message.room !== 'closed') return false
      reply({ type: 'error', re: message.req, code: 'forbidden', message: 'no' })
      return true
    }
    await assert.rejects(h.usersIn(server, ['open', 'closed'], 'alice', 'bob'), /alice: join closed got .*forbidden/)
  })

  it('runs node processes and kills them after the test, by pid', async () => {
    const { t, runAfter } = fakeContext()
    const h = new Harness(t)
    const child = h.node(['-e', 'console.log("ready"); console.error("listening on 127.0.0.1:1234"); setInterval(() => {}, 1000)'])
    await child.waitFor('ready', 'the child to be ready', { stream: 'stdout' })
    const [, host, port] = await child.waitFor(/listening on ([^\s]+):(\d+)/, 'the listening line')
    assert.deepEqual([host, port], ['127.0.0.1', '1234'])
    const quitter = h.node(['-e', 'process.exit(3)'])
    await assert.rejects(quitter.waitFor('never printed', 'a line that never comes', { ms: 60_000 }), /exited \(3\) before a line that never comes/)
    assert.equal(child.isRunning, true)
    await runAfter()
    assert.deepEqual(await child.exited, { code: null, signal: 'SIGKILL' })
  })

  it('starts server processes and reads their port', async t => {
    const h = new Harness(t)
    const server = await h.serverProcess(['-e', 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => console.error(`listening on 127.0.0.1:${s.address().port}`))'])
    assert.ok(server.port > 0)
    assert.equal(server.url, `tcp://127.0.0.1:${server.port}`)
  })
})
