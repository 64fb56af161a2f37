import { ErrorCodes } from '@chat/protocol'
import { ChatError } from './chat-error.js'
import { withDefaultPort } from './default-ports.js'
import type { ConnectOptions } from './options.js'
import { transportFor } from './transports.js'
import type { Transport, TransportRegistry } from './transports.js'

/** One server address, or several of one chat service (`connect`'s first argument, or the `servers` option). */
export type ServerAddresses = string | URL | ReadonlyArray<string | URL>

/** An address the client may connect to, with the transport that reaches it. */
export interface ServerAddress {
  readonly url: URL
  readonly transport: Transport
}

/**
 * The addresses `connect` was given, checked before anything is opened (a
 * list with one bad address is refused whole, with the error that address
 * alone gets), in the order the client tries them: shuffled unless
 * `randomize` is false, so clients given the same list spread over the servers.
 */
export function serverAddresses (
  transports: TransportRegistry, given: ServerAddresses | undefined, options: ConnectOptions, random = Math.random
): ServerAddress[] {
  if (given !== undefined && options.servers !== undefined) {
    throw new TypeError('connect(): give the server addresses once, as the first argument or as the servers option, not both')
  }
  const addresses = given ?? options.servers
  if (addresses === undefined) {
    throw new TypeError('connect() needs a server address: connect(\'tcp://host:7777\', options), or a list of them, or connect({ servers, ... })')
  }
  const list: ReadonlyArray<unknown> = Array.isArray(addresses) ? addresses : [addresses]
  if (list.length === 0) throw new TypeError('connect(): the list of server addresses is empty')
  const parsed = list.map((address, i) => {
    if (typeof address !== 'string' && !(address instanceof URL)) {
      throw new TypeError(`connect(): server address ${i} is a ${typeof address}, not a string or a URL`)
    }
    const url = parseAddress(address)
    return { url, transport: options.transport ?? transportFor(url, transports) }
  })
  return options.randomize === false ? parsed : shuffled(parsed, random)
}

function parseAddress (address: string | URL): URL {
  if (address instanceof URL) return new URL(address) // a copy: the app's object may change later
  try {
    return withDefaultPort(address, new URL(address))
  } catch (err) {
    throw new ChatError(ErrorCodes.CONNECT_FAILED, `not a server address: ${address} (use tcp://host:port, tls://host:port, ws://host:port/ws or wss://host:port/ws)`, { cause: err })
  }
}

/** Fisher-Yates: every order equally likely. */
export function shuffled<T> (items: readonly T[], random = Math.random): T[] {
  const result = [...items]
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[result[i], result[j]] = [result[j], result[i]]
  }
  return result
}
