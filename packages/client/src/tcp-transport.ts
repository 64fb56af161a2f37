import { connect as netConnect } from 'node:net'
import { once } from 'node:events'
import { ErrorCodes } from '@chat/protocol'
import { tcpDuplex } from '@chat/transport'
import { ChatError } from './chat-error.js'
import type { Transport } from './transports.js'

export const DEFAULT_PORT = 7777

/** `tcp://host:port` over a plain TCP socket. */
export const tcpTransport: Transport = async (address, { signal }) => {
  if (address.protocol !== 'tcp:') {
    throw new ChatError(ErrorCodes.CONNECT_FAILED, `unsupported address ${address.href}: use tcp://host:port`)
  }
  if (isAborted(signal)) throw new ChatError(ErrorCodes.ABORTED, 'connect was aborted', { cause: signal?.reason })
  const host = address.hostname.replace(/^\[(.*)\]$/, '$1')
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
    if (isAborted(signal)) throw new ChatError(ErrorCodes.ABORTED, 'connect was aborted', { cause: signal?.reason })
    throw new ChatError(ErrorCodes.CONNECT_FAILED, `could not connect to ${host}:${port}: ${(err as Error).message}`, { cause: err })
  } finally {
    signal?.removeEventListener('abort', abort)
  }
  return tcpDuplex(socket)
}

// A function, so that TypeScript does not assume the signal stays as it was checked.
function isAborted (signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}
