import { ErrorCodes } from '@chat/protocol'
import type { AbortOptions, PullDuplex } from '@chat/transport'
import { ChatError } from './chat-error.js'
import { tcpTransport } from './tcp-transport.js'

/** Opens a connection to a server address; resolves once bytes can flow. The client uses the pull form only. */
export type Transport = (address: URL, options: AbortOptions) => Promise<PullDuplex>

/**
 * The transport for each address scheme. One place to add `ws:`, `wss:` and
 * `tls:`: `connect()` picks from here unless the app passes its own `transport`.
 */
const transports: ReadonlyMap<string, Transport> = new Map([
  ['tcp:', tcpTransport]
])

/** The transport for `address`'s scheme; a scheme with none rejects with `connect_failed`, naming those there are. */
export function transportFor (address: URL): Transport {
  const transport = transports.get(address.protocol)
  if (transport === undefined) {
    const schemes = [...transports.keys()].map(scheme => `${scheme}//`).join(', ')
    throw new ChatError(ErrorCodes.CONNECT_FAILED, `unsupported address ${address.href}: the supported schemes are ${schemes}`)
  }
  return transport
}
