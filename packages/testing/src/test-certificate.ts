import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A self-signed certificate for loopback (`localhost`, `127.0.0.1`), and its key, PEM: its own CA. */
export interface TestCertificate {
  cert: string
  key: string
}

let made: TestCertificate | undefined

/**
 * A fresh self-signed certificate for `localhost` and `127.0.0.1`, valid for
 * a day, made with `openssl` the first time it is asked for in this process
 * (a few milliseconds). Clients trust it with `tls: { ca: cert }`.
 */
export function testCertificate (): TestCertificate {
  made ??= makeCertificate()
  return made
}

/** Another one, never the same: for a test that replaces a server's certificate. */
export function newTestCertificate (commonName = 'localhost'): TestCertificate {
  return makeCertificate(commonName)
}

function makeCertificate (commonName = 'localhost'): TestCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'chat-tls-'))
  try {
    const key = join(dir, 'key.pem')
    const cert = join(dir, 'cert.pem')
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
        '-subj', `/CN=${commonName}`, '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-keyout', key, '-out', cert
      ], { stdio: 'pipe' })
    } catch (err) {
      throw new Error(`the TLS tests need openssl to make a test certificate: ${(err as Error).message}`, { cause: err })
    }
    return { cert: readFileSync(cert, 'utf8'), key: readFileSync(key, 'utf8') }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
