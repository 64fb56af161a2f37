import type { ChatClient } from './chat-client.js'
import { connectWith } from './connect.js'
import { nodeTransports } from './node-transports.js'
import type { ConnectOptions } from './options.js'
import type { ServerAddresses } from './server-addresses.js'

/**
 * Connects to a chat server and logs in (Node: `tcp://`, `tls://`, `ws://`, `wss://`).
 *
 * ```ts
 * const client = await connect('tcp://127.0.0.1:7777', { username: 'alice' })
 * const viaWeb = await connect('wss://chat.example.com:7780/ws', { username: 'bob', tls: { ca } })
 * const anyNode = await connect(['tcp://a:7777', 'tcp://b:7777'], { username: 'carol' })
 * const same = await connect({ servers: ['tcp://a:7777', 'tcp://b:7777'], username: 'dave' })
 * ```
 * The address's scheme picks the transport, unless `options.transport` is
 * given. Several addresses (servers of one chat service) are tried in turn,
 * shuffled unless `randomize: false`; after a loss the client reconnects to
 * the next. Rejects with a `ChatError`: `connect_failed` (also for a scheme with
 * no transport), `aborted`, or the server's refusal (`name_taken`,
 * `invalid_name`, `auth_failed`, `weak_password`, `registration_closed`,
 * `unsupported_version`); `invalid_message`, without connecting, for a
 * username or password with a lone surrogate; a `TypeError` for no address, an
 * empty list, or addresses given both ways. Only this first connection is
 * not retried; after it, the client reconnects by itself.
 */
export async function connect (address: ServerAddresses, options: ConnectOptions): Promise<ChatClient>
export async function connect (options: ConnectOptions & { servers: ServerAddresses }): Promise<ChatClient>
export async function connect (address: ServerAddresses | ConnectOptions, options?: ConnectOptions): Promise<ChatClient> {
  return await connectWith(nodeTransports, address, options)
}
