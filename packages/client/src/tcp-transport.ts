import { connect as netConnect } from 'node:net'
import { once } from 'node:events'
import { tcpDuplex } from '@chat/transport'
import { abortedError, checkScheme, connectFailed, hostOf, isAborted } from './transport-errors.js'
import type { Transport } from './transports.js'
import { DEFAULT_PORT } from './default-ports.js'

/** `tcp://host:port` over a plain TCP socket (Node). */
export const tcpTransport: Transport = async (address, { signal }) => {
  checkScheme(address, ['tcp:'], 'tcp://host:port')
  if (isAborted(signal)) throw abortedError(signal)
  const host = hostOf(address)
  const port = address.port === '' ? DEFAULT_PORT : Number(address.port)
  const socket = netConnect({ host, port, noDelay: true })
  const abort = (): void => { socket.destroy() }
  signal?.addEventListener('abort', abort, { once: true })
  try {
    await Promise.race([
      once(socket, 'connect'),
      once(socket, 'close').then(() => { throw new Error('aborted') })
    ])
  } catch (err) {
    socket.destroy()
    if (isAborted(signal)) throw abortedError(signal)
    throw connectFailed(`${host}:${port}`, err)
  } finally {
    signal?.removeEventListener('abort', abort)
  }
  return tcpDuplex(socket)
}
