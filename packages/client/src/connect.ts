import { ErrorCodes } from '@chat/protocol'
import { ChatClient } from './chat-client.js'
import { ChatError } from './chat-error.js'
import type { ConnectOptions } from './options.js'
import { tcpTransport } from './tcp-transport.js'

/**
 * Connects to a chat server and logs in.
 *
 * ```ts
 * const client = await connect('tcp://127.0.0.1:7777', { username: 'alice' })
 * ```
 * Rejects with a `ChatError`: `connect_failed`, `aborted`, or the server's
 * refusal (`name_taken`, `invalid_name`, `unsupported_version`).
 */
export async function connect (address: string | URL, options: ConnectOptions): Promise<ChatClient> {
  let url: URL
  try {
    url = typeof address === 'string' ? new URL(address) : address
  } catch (err) {
    throw new ChatError(ErrorCodes.CONNECT_FAILED, `not a server address: ${String(address)} (use tcp://host:port)`, { cause: err })
  }
  const duplex = await (options.transport ?? tcpTransport)(url, { signal: options.signal })
  const client = new ChatClient(duplex, options)
  try {
    await client.login(options.signal)
  } catch (err) {
    duplex.destroy()
    await client.closed
    throw err
  }
  return client
}
