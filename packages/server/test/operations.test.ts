// What an operator gets: health checks and Prometheus metrics on the HTTP port, JSON logs that
// never carry a password or a message's text, and a shutdown a second signal can cut short.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { request as httpRequest } from 'node:http'
import { fileURLToPath } from 'node:url'
import { connect, Harness, within } from '@chat/testing'
import { createServer } from '../src/index.js'

const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))

async function get (url: string, method = 'GET'): Promise<{ status: number, type: string | null, body: string }> {
  const response = await fetch(url, { method })
  return { status: response.status, type: response.headers.get('content-type'), body: await response.text() }
}

/** The status a WebSocket upgrade from a page of `origin` gets (fetch can't send upgrade headers). */
async function upgradeStatus (port: number, origin: string): Promise<number | undefined> {
  return await new Promise((resolve, reject) => {
    const request = httpRequest({
      host: '127.0.0.1', port, path: '/ws',
      headers: { origin, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }
    })
    request.once('response', response => { response.resume(); resolve(response.statusCode) })
    request.once('upgrade', (_response, socket) => { socket.destroy(); resolve(101) })
    request.once('error', reject)
    request.end()
  })
}

/** The value of one series in Prometheus text (`name{labels} value`), or undefined. */
function sample (text: string, series: string): number | undefined {
  const line = text.split('\n').find(l => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('operating the server', () => {
  it('answers /healthz and /readyz, and refuses other methods there', async t => {
    const h = new Harness(t)
    const { httpPort } = await h.serve(createServer(), { transport: 'ws' })
    const base = `http://127.0.0.1:${httpPort}`
    assert.deepEqual(await get(`${base}/healthz`), { status: 200, type: 'text/plain; charset=utf-8', body: 'ok\n' })
    assert.deepEqual(await get(`${base}/readyz`), { status: 200, type: 'text/plain; charset=utf-8', body: 'ready\n' })
    assert.equal((await get(`${base}/readyz`, 'POST')).status, 405)
    assert.equal((await get(`${base}/nothing-here`)).status, 404)
  })

  it('counts connections by transport, logins, failures, messages, deliveries, bytes, commits and refusals in /metrics', async t => {
    const h = new Harness(t)
    const server = createServer({ dataDir: h.tempDir() })
    const { url, port, httpPort } = await h.serve(server, { transport: 'ws' })
    const alice = await h.client(url, 'alice', { password: 'correct horse', register: true })
    const bob = await h.client(`tcp://127.0.0.1:${port}`, 'bob')
    await alice.join('general')
    await bob.join('general')
    for (let i = 0; i < 5; i++) await alice.send('general', `hello ${i}`)
    await assert.rejects(connect(url, { username: 'nobody', password: 'no such account', reconnect: false }), { code: 'auth_failed' })
    assert.equal(await upgradeStatus(httpPort!, 'https://evil.example'), 403)

    const { status, type, body } = await get(`http://127.0.0.1:${httpPort}/metrics`)
    assert.equal(status, 200)
    assert.match(type ?? '', /^text\/plain; version=0\.0\.4/)
    assert.equal(sample(body, 'chat_connections{transport="ws"}'), 1)
    assert.equal(sample(body, 'chat_connections{transport="tcp"}'), 1)
    assert.equal(sample(body, 'chat_users'), 2)
    assert.equal(sample(body, 'chat_logins_total'), 2)
    assert.equal(sample(body, 'chat_login_failures_total'), 1)
    assert.equal(sample(body, 'chat_registrations_total'), 1)
    assert.equal(sample(body, 'chat_messages_stored_total'), 5)
    assert.equal(sample(body, 'chat_messages_delivered_total'), 10, 'each message to both members')
    assert.ok((sample(body, 'chat_commits_total') ?? 0) >= 1)
    assert.equal(sample(body, 'chat_commit_duration_seconds_count'), sample(body, 'chat_commits_total'))
    assert.equal(sample(body, 'chat_commit_messages_count'), sample(body, 'chat_commits_total'))
    assert.equal(sample(body, 'chat_commit_messages_sum'), sample(body, 'chat_messages_stored_total'))
    assert.ok((sample(body, 'chat_received_bytes_total') ?? 0) > 0)
    assert.ok((sample(body, 'chat_sent_bytes_total') ?? 0) > 0)
    assert.equal(sample(body, 'chat_connections_opened_total{transport="ws"}'), 2, 'alice, and the refused login')
    assert.equal(sample(body, 'chat_connections_closed_total{reason="disconnected"}') ?? sample(body, 'chat_connections_closed_total{reason="quit"}'), 1)
    assert.equal(sample(body, 'chat_connections_refused_total{reason="refusedOrigins"}'), 1)
    assert.ok(sample(body, 'nodejs_eventloop_lag_seconds') !== undefined, 'the event-loop delay')
    assert.ok(sample(body, 'process_resident_memory_bytes') !== undefined)
  })

  it('logs JSON lines with a line per connection opened and closed, and never a password or a message\'s text', async t => {
    const h = new Harness(t)
    const proc = await h.serverProcess([BIN, '--memory', '--port', '0', '--no-http', '--log-level', 'debug'])
    const client = await h.client(`tcp://127.0.0.1:${proc.port}`, 'carol', { password: 'sekrit-password-1', register: true })
    await client.join('general')
    await client.send('general', 'a very private text')
    await client.close()
    await proc.waitFor(/"msg":"connection \d+ closed \(quit\)"/, 'the close line')
    const lines = proc.stderr.trim().split('\n').map(line => JSON.parse(line) as Record<string, unknown>)
    for (const line of lines) assert.equal(typeof line.msg, 'string', 'each line is a JSON object with a msg')
    const opened = lines.find(line => /^connection \d+ opened$/.test(String(line.msg)))
    assert.equal(opened?.transport, 'tcp')
    assert.match(String(opened?.remote), /^127\.0\.0\.1:\d+$/)
    const closed = lines.find(line => /closed/.test(String(line.msg)))
    assert.deepEqual([closed?.user, closed?.reason, closed?.level], ['carol', 'quit', 30])
    assert.doesNotMatch(proc.stderr, /sekrit-password-1|a very private text/)
  })

  it('--log-format pretty is for a person; a bad --log-level is refused', async t => {
    const h = new Harness(t)
    const proc = await h.serverProcess([BIN, '--memory', '--port', '0', '--no-http', '--log-format', 'pretty'])
    assert.match(proc.stderr, /^\d\d:\d\d:\d\d\.\d{3} INFO listening on 127\.0\.0\.1:\d+$/m)
    const bad = h.node([BIN, '--memory', '--log-level', 'chatty'])
    assert.equal((await bad.waitExit()).code, 2)
    assert.match(bad.stderr, /--log-level must be one of debug, info, warn, error, silent/)
  })

  it('SIGTERM waits for clients to close (up to --close-timeout-ms); a second signal exits at once', async t => {
    const h = new Harness(t)
    const proc = await h.serverProcess([BIN, '--memory', '--port', '0', '--no-http', '--close-timeout-ms', '60000'])
    // A client that keeps its side open after the server's goodbye: the shutdown waits for it.
    const lingering = await h.raw(proc.port, 'lingering', { allowHalfOpen: true })
    await lingering.login('lingering')
    proc.signal('SIGTERM')
    assert.equal((await lingering.nextOfType('bye')).code, 'server_shutdown')
    await proc.waitFor('shutting down', 'the shutdown to begin')
    assert.equal(proc.isRunning, true, 'still waiting for the client')
    proc.signal('SIGTERM')
    const exit = await within(proc.exited, 'the second SIGTERM to end it', 5_000)
    assert.deepEqual(exit, { code: 143, signal: null })
    assert.match(proc.stderr, /SIGTERM received again: exiting now/)
  })
})
