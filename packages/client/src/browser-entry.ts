import { browserTransports } from './browser-transports.js'
import type { ChatClient } from './chat-client.js'
import { connectWith } from './connect.js'
import type { ConnectOptions } from './options.js'

/**
 * Connects to a chat server and logs in, from a browser: `ws://` and `wss://`
 * (the server's `/ws` endpoint). `tcp://` and `tls://` reject with
 * `connect_failed`, saying so. Otherwise as Node's `connect`.
 */
export async function connect (address: string | URL, options: ConnectOptions): Promise<ChatClient> {
  return await connectWith(browserTransports, address, options)
}
