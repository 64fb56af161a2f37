import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { X509Certificate } from 'node:crypto'
import { Harness, newTestCertificate, testCertificate, within } from '@chat/testing'
import type { TestCertificate } from '@chat/testing'
import { certificateSeen, rawTls } from './transport-clients.js'

/** The compiled CLI, next to this compiled test: dist/test/cli-tls.test.js -> dist/src/bin.js. */
const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))

/** Writes a certificate and key into `dir`; returns the file names. */
function writeCertificate (dir: string, certificate: TestCertificate): { cert: string, key: string } {
  const cert = join(dir, 'cert.pem')
  const key = join(dir, 'key.pem')
  writeFileSync(cert, certificate.cert)
  writeFileSync(key, certificate.key)
  return { cert, key }
}

describe('chat-server CLI with TLS', () => {
  it('--tls-cert and --tls-key: TLS on --port and HTTPS on --http-port, each line saying so', async t => {
    const h = new Harness(t)
    const files = writeCertificate(h.tempDir('chat-cli-tls-'), testCertificate())
    const proc = await h.serverProcess([BIN, '--memory', '--port', '0', '--http-port', '0', '--tls-cert', files.cert, '--tls-key', files.key])
    await proc.waitFor(/listening on 127\.0\.0\.1:\d+ \(tls\)/, 'the tls line')
    await proc.waitFor(/https listening on 127\.0\.0\.1:\d+ \(WebSocket at \/ws\)/, 'the https line')
    const { client } = await rawTls(h, proc.port, 'alice', testCertificate().cert)
    assert.equal((await client.login('alice')).type, 'welcome')
  })

  it('a missing, wrong or mismatched file exits with code 2 and names the file, before the data directory is touched', async t => {
    const h = new Harness(t)
    const dir = h.tempDir('chat-cli-tls-')
    const good = writeCertificate(dir, testCertificate())
    const otherKey = join(dir, 'other-key.pem')
    writeFileSync(otherKey, newTestCertificate().key)
    const garbage = join(dir, 'garbage.pem')
    writeFileSync(garbage, 'not a PEM file\n')
    const data = join(dir, 'data')
    const cases: Array<[string[], RegExp]> = [
      [['--tls-cert', join(dir, 'missing.pem'), '--tls-key', good.key], /can't read the TLS certificate file .*missing\.pem: ENOENT/],
      [['--tls-cert', good.cert, '--tls-key', join(dir, 'missing.pem')], /can't read the TLS key file .*missing\.pem: ENOENT/],
      [['--tls-cert', garbage, '--tls-key', good.key], /garbage\.pem is not a PEM certificate/],
      [['--tls-cert', good.cert, '--tls-key', garbage], /garbage\.pem is not a PEM private key/],
      [['--tls-cert', good.cert, '--tls-key', otherKey], /the key in .*other-key\.pem does not go with the certificate in .*cert\.pem/],
      [['--tls-cert', good.cert], /--tls-cert and --tls-key go together/]
    ]
    for (const [flags, message] of cases) {
      const proc = h.node([BIN, '--data', data, '--port', '0', '--no-http', ...flags])
      const { code } = await proc.waitExit()
      assert.equal(code, 2, `${flags.join(' ')}: ${proc.stderr}`)
      assert.match(proc.stderr, message)
      assert.doesNotMatch(proc.stderr, /\n\s+at /, 'no stack trace')
    }
    assert.equal(existsSync(data), false, 'the data directory was never created')
  })

  it('--allowed-origins with something that is not an origin exits with code 2', async t => {
    const h = new Harness(t)
    const proc = h.node([BIN, '--memory', '--port', '0', '--no-http', '--allowed-origins', 'https://ok.example,not-an-origin'])
    const { code } = await proc.waitExit()
    assert.equal(code, 2)
    assert.match(proc.stderr, /--allowed-origins: allowed origin "not-an-origin" is not an origin/)
  })

  it('SIGHUP reloads the certificate files: new connections get the new one, open ones carry on; a bad reload keeps the old one', async t => {
    const h = new Harness(t)
    const first = testCertificate()
    const second = newTestCertificate()
    const files = writeCertificate(h.tempDir('chat-cli-tls-'), first)
    const proc = await h.serverProcess([BIN, '--memory', '--port', '0', '--no-http', '--tls-cert', files.cert, '--tls-key', files.key])
    const { client: alice } = await rawTls(h, proc.port, 'alice', first.cert)
    await alice.login('alice')
    await alice.join('general')

    writeCertificate(join(files.cert, '..'), second)
    proc.signal('SIGHUP')
    await proc.waitFor(/TLS certificate reloaded from .*cert\.pem/, 'the reload')
    assert.equal(await certificateSeen(h, proc.port, second.cert), new X509Certificate(second.cert).fingerprint256)
    assert.equal((await alice.request({ type: 'send', room: 'general', text: 'after the reload' })).type, 'ack', 'the open connection carries on')

    writeFileSync(files.key, 'broken\n')
    proc.signal('SIGHUP')
    await proc.waitFor(/"level":40,[^\n]*"msg":"TLS certificate reload failed, keeping the current one: [^"]*key\.pem is not a PEM private key/, 'the failed reload, logged as a warning')
    assert.equal(await certificateSeen(h, proc.port, second.cert), new X509Certificate(second.cert).fingerprint256, 'still the second certificate')
    assert.equal(proc.isRunning, true)
  })
})
