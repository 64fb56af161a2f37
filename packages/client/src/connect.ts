import { ChatClient } from './chat-client.js'
import type { ConnectOptions } from './options.js'
import { serverAddresses } from './server-addresses.js'
import type { ServerAddresses } from './server-addresses.js'
import type { TransportRegistry } from './transports.js'
import { checkWellFormed } from './well-formed.js'

/**
 * Connects to a chat server and logs in, with the transports of `transports`
 * (the environment's: `connect` in `node-entry.ts` and `browser-entry.ts`).
 *
 * ```ts
 * const client = await connect('tcp://127.0.0.1:7777', { username: 'alice' })
 * const viaWeb = await connect('wss://chat.example.com:7780/ws', { username: 'bob', tls: { ca } })
 * const anyNode = await connect(['tcp://a:7777', 'tcp://b:7777'], { username: 'carol' })   // or { servers: [...] }
 * ```
 * The address's scheme picks the transport (`tcp://`, `tls://`, `ws://`,
 * `wss://`), unless `options.transport` is given. Several addresses (of one
 * chat service) are tried in turn, shuffled unless `randomize: false`. Rejects with a `ChatError`: `connect_failed`
 * (also for a scheme with no transport), `aborted`, or the server's
 * refusal (`name_taken`, `invalid_name`, `auth_failed`, `weak_password`,
 * `registration_closed`, `unsupported_version`); `invalid_message`, without
 * connecting, for a username or password with a lone surrogate; a `TypeError`
 * for no address, an empty list, or addresses given both ways. Only this first connection
 * is not retried; after it, the client reconnects by itself.
 */
export async function connectWith (
  transports: TransportRegistry, addressOrOptions: ServerAddresses | ConnectOptions, maybeOptions?: ConnectOptions
): Promise<ChatClient> {
  const [address, options] = isOptions(addressOrOptions)
    ? [undefined, addressOrOptions]
    : [addressOrOptions ?? undefined, maybeOptions]
  if (typeof options !== 'object' || options === null) throw new TypeError('connect() needs options with a username')
  const servers = serverAddresses(transports, address, options)
  checkWellFormed({ username: options.username, password: options.password }, 'connect')
  const client = new ChatClient(servers, options)
  await client.start(options.signal)
  return client
}

/** `connect({ servers, username })`: the options come first. */
function isOptions (value: unknown): value is ConnectOptions {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof URL)
}
