import { ErrorCodes } from '@chat/protocol'
import { ChatClient } from './chat-client.js'
import { ChatError } from './chat-error.js'
import type { ConnectOptions } from './options.js'
import { transportFor } from './transports.js'
import type { TransportRegistry } from './transports.js'
import { withDefaultPort } from './default-ports.js'
import { checkWellFormed } from './well-formed.js'

/**
 * Connects to a chat server and logs in, with the transports of `transports`
 * (the environment's: `connect` in `node-entry.ts` and `browser-entry.ts`).
 *
 * ```ts
 * const client = await connect('tcp://127.0.0.1:7777', { username: 'alice' })
 * const viaWeb = await connect('wss://chat.example.com:7780/ws', { username: 'bob', tls: { ca } })
 * ```
 * The address's scheme picks the transport (`tcp://`, `tls://`, `ws://`,
 * `wss://`), unless `options.transport` is given. Rejects with a `ChatError`: `connect_failed`
 * (also for a scheme with no transport), `aborted`, or the server's
 * refusal (`name_taken`, `invalid_name`, `auth_failed`, `weak_password`,
 * `registration_closed`, `unsupported_version`); `invalid_message`, without
 * connecting, for a username or password with a lone surrogate. Only this first connection
 * is not retried; after it, the client reconnects by itself.
 */
export async function connectWith (transports: TransportRegistry, address: string | URL, options: ConnectOptions): Promise<ChatClient> {
  let url: URL
  try {
    url = typeof address === 'string' ? withDefaultPort(address, new URL(address)) : address
  } catch (err) {
    throw new ChatError(ErrorCodes.CONNECT_FAILED, `not a server address: ${String(address)} (use tcp://host:port, tls://host:port, ws://host:port/ws or wss://host:port/ws)`, { cause: err })
  }
  checkWellFormed({ username: options.username, password: options.password }, 'connect')
  const client = new ChatClient(url, options, options.transport ?? transportFor(url, transports))
  await client.start(options.signal)
  return client
}
