import { readFileSync } from 'node:fs'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import { createSecureContext } from 'node:tls'

/** A certificate (chain) and its private key, PEM. */
export interface TlsCredentials {
  cert: string | Buffer
  key: string | Buffer
}

/** A certificate or key file that can't be used; the message names the file. */
export class TlsFileError extends Error {
  override name = 'TlsFileError'
}

/** Throws a RangeError unless `credentials` make a TLS context (a certificate, and the key that goes with it). */
export function checkTlsCredentials (credentials: TlsCredentials): void {
  if (credentials.cert === undefined || credentials.key === undefined) throw new RangeError('tls needs both cert and key')
  try {
    createSecureContext({ cert: credentials.cert, key: credentials.key })
  } catch (err) {
    throw new RangeError(`tls: the certificate and key can't be used together: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * Reads a PEM certificate and key from files and checks them, each on its
 * own first, so that the error names the file at fault: missing, not a
 * certificate, not a private key, or a key that is not the certificate's.
 */
export function readTlsFiles (certFile: string, keyFile: string): TlsCredentials {
  const cert = readPem(certFile, 'certificate')
  const key = readPem(keyFile, 'key')
  try {
    // The first certificate of a chain is enough to tell a certificate file from anything else.
    void new X509Certificate(cert)
  } catch (err) {
    throw new TlsFileError(`${certFile} is not a PEM certificate: ${(err as Error).message}`, { cause: err })
  }
  try {
    createPrivateKey(key)
  } catch (err) {
    throw new TlsFileError(`${keyFile} is not a PEM private key: ${(err as Error).message}`, { cause: err })
  }
  try {
    createSecureContext({ cert, key })
  } catch (err) {
    throw new TlsFileError(`the key in ${keyFile} does not go with the certificate in ${certFile}: ${(err as Error).message}`, { cause: err })
  }
  return { cert, key }
}

function readPem (file: string, what: string): Buffer {
  try {
    return readFileSync(file)
  } catch (err) {
    throw new TlsFileError(`can't read the TLS ${what} file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err })
  }
}
