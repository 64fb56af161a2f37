import type { TestContext } from 'node:test'
import { createServer } from '@chat/server'
import type { ChatServer, ServerOptions } from '@chat/server'
import { connect } from '@chat/client'
import type { ChatClient, ConnectOptions } from '@chat/client'
import { RawClient } from './raw-client.js'
import { within } from './wait.js'

export interface TestServer {
  server: ChatServer
  /** `tcp://127.0.0.1:<port>` */
  url: string
  port: number
  /** Graceful stop; safe to call more than once. */
  close: () => Promise<void>
}

/** Starts a server in this process on a free loopback port. */
export async function startServer (options: ServerOptions = {}): Promise<TestServer> {
  const server = createServer(options)
  const { port } = await within(server.listen({ host: '127.0.0.1', port: 0 }), 'the server to listen')
  return { server, url: `tcp://127.0.0.1:${port}`, port, close: async () => { await server.close() } }
}

/**
 * What one test started: servers, SDK clients and raw sockets, all stopped
 * after the test (clients first, then servers), whether it passed or not.
 */
export class Harness {
  private readonly cleanups: Array<{ what: string, run: () => Promise<void> | void }> = []

  constructor (t: TestContext) {
    t.after(async () => { await this.dispose() })
  }

  /** Runs `run` after the test, before what was registered earlier. */
  defer (what: string, run: () => Promise<void> | void): void {
    this.cleanups.push({ what, run })
  }

  async server (options: ServerOptions = {}): Promise<TestServer> {
    const started = await startServer(options)
    this.defer(`closing the server on port ${started.port}`, started.close)
    return started
  }

  /**
   * A logged-in SDK client. It does not reconnect unless asked to: most tests are about one
   * connection and what ends it; the reconnection tests opt in with `reconnect: true`.
   */
  async client (url: string, username: string, options: Omit<ConnectOptions, 'username'> = {}): Promise<ChatClient> {
    const client = await within(connect(url, { reconnect: false, ...options, username }), `${username} to connect`)
    this.defer(`closing ${username}`, async () => { await client.close() })
    return client
  }

  /** Several logged-in clients, all members of `room`. */
  async clientsIn (url: string, room: string, usernames: string[], options: Omit<ConnectOptions, 'username'> = {}): Promise<ChatClient[]> {
    const clients: ChatClient[] = []
    for (const name of usernames) {
      const client = await this.client(url, name, options)
      await within(client.join(room), `${name} to join ${room}`)
      clients.push(client)
    }
    return clients
  }

  async raw (port: number): Promise<RawClient> {
    const raw = await RawClient.connect(port)
    this.defer('destroying a raw socket', () => { raw.destroy() })
    return raw
  }

  async dispose (): Promise<void> {
    const errors: unknown[] = []
    for (const { what, run } of this.cleanups.splice(0).reverse()) {
      try {
        await within(Promise.resolve().then(run), what, 15_000)
      } catch (err) {
        errors.push(err)
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `cleanup failed: ${errors.map(String).join('; ')}`)
  }
}
