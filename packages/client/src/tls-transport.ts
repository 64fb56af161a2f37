import { isIP } from 'node:net'
import { once } from 'node:events'
import { connect as tlsConnect } from 'node:tls'
import { tcpDuplex } from '@chat/transport'
import { abortedError, checkScheme, connectFailed, hostOf, isAborted } from './transport-errors.js'
import type { Transport } from './transports.js'
import { DEFAULT_TLS_PORT } from './default-ports.js'

/** `tls://host:port`: TCP with TLS (Node). The server's certificate is checked against `options.tls.ca` (or the system's CAs). */
export const tlsTransport: Transport = async (address, { signal, tls = {} }) => {
  checkScheme(address, ['tls:'], 'tls://host:port')
  if (isAborted(signal)) throw abortedError(signal)
  const host = hostOf(address)
  const port = address.port === '' ? DEFAULT_TLS_PORT : Number(address.port)
  const socket = tlsConnect({
    host,
    port,
    // SNI carries names only; the certificate of an IP address is still checked against it.
    servername: tls.servername ?? (isIP(host) === 0 ? host : undefined),
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    rejectUnauthorized: tls.rejectUnauthorized
  })
  const abort = (): void => { socket.destroy() }
  signal?.addEventListener('abort', abort, { once: true })
  try {
    await Promise.race([
      once(socket, 'secureConnect'),
      once(socket, 'close').then(() => { throw new Error('the connection closed during the TLS handshake') })
    ])
  } catch (err) {
    socket.destroy()
    if (isAborted(signal)) throw abortedError(signal)
    throw connectFailed(`tls://${host}:${port}`, err)
  } finally {
    signal?.removeEventListener('abort', abort)
  }
  socket.setNoDelay(true)
  return tcpDuplex(socket)
}
