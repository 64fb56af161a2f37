import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onEmergencyExit } from '../child-processes.js'

export interface ThrowawayCertificate {
  certFile: string
  keyFile: string
  /** The certificate (PEM): the client trusts it as its only CA. */
  certPem: string
  /** Deletes the files (also done on an emergency exit). */
  remove: () => void
}

/**
 * A self-signed P-256 certificate for 127.0.0.1, valid one day, made now
 * with openssl in a temporary directory: nothing of it outlives the run.
 */
export function throwawayCertificate (): ThrowawayCertificate {
  const dir = mkdtempSync(join(tmpdir(), 'chat-bench-tls-'))
  const remove = onEmergencyExit(() => { rmSync(dir, { recursive: true, force: true }) })
  const certFile = join(dir, 'c.pem')
  const keyFile = join(dir, 'k.pem')
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'pipe', timeout: 10_000 })
    return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), remove }
  } catch (err) {
    remove()
    throw new Error(`openssl could not make a certificate: ${(err as Error).message.split('\n')[0]}`)
  }
}
