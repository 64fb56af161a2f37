import type { ChatClient } from './chat-client.js'
import { connectWith } from './connect.js'
import { nodeTransports } from './node-transports.js'
import type { ConnectOptions } from './options.js'

/**
 * Connects to a chat server and logs in (Node: `tcp://`, `tls://`, `ws://`, `wss://`).
 *
 * ```ts
 * const client = await connect('tcp://127.0.0.1:7777', { username: 'alice' })
 * const viaWeb = await connect('wss://chat.example.com:7780/ws', { username: 'bob', tls: { ca } })
 * ```
 * The address's scheme picks the transport, unless `options.transport` is
 * given. Rejects with a `ChatError`: `connect_failed` (also for a scheme with
 * no transport), `aborted`, or the server's refusal (`name_taken`,
 * `invalid_name`, `auth_failed`, `weak_password`, `registration_closed`,
 * `unsupported_version`); `invalid_message`, without connecting, for a
 * username or password with a lone surrogate. Only this first connection is
 * not retried; after it, the client reconnects by itself.
 */
export async function connect (address: string | URL, options: ConnectOptions): Promise<ChatClient> {
  return await connectWith(nodeTransports, address, options)
}
