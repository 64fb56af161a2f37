import { browserTransports } from './browser-transports.js'
import type { ChatClient } from './chat-client.js'
import { connectWith } from './connect.js'
import type { ConnectOptions } from './options.js'
import type { ServerAddresses } from './server-addresses.js'

/**
 * Connects to a chat server and logs in, from a browser: `ws://` and `wss://`
 * (the server's `/ws` endpoint), one address or several. A `tcp://` or `tls://` address
 * rejects with `connect_failed`, saying so, before anything is opened. Otherwise as Node's `connect`.
 */
export async function connect (address: ServerAddresses, options: ConnectOptions): Promise<ChatClient>
export async function connect (options: ConnectOptions & { servers: ServerAddresses }): Promise<ChatClient>
export async function connect (address: ServerAddresses | ConnectOptions, options?: ConnectOptions): Promise<ChatClient> {
  return await connectWith(browserTransports, address, options)
}
