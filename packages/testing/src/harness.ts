import { mkdtempSync, rmSync } from 'node:fs'
import { createServer as createTcpServer } from 'node:net'
import type { AddressInfo, Server as TcpServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ChatClient, ConnectOptions, ServerAddresses } from '@chat/client'
import { duplexPair, tcpDuplex } from '@chat/transport'
import type { AbortOptions, Duplex } from '@chat/transport'
import { NodeProcess, ServerProcess } from './node-process.js'
import type { NodeProcessOptions } from './node-process.js'
import { ObservedDuplex } from './observed-duplex.js'
import { RawClient } from './raw-client.js'
import type { RawClientOptions } from './raw-client.js'
import { sleep, within } from './wait.js'
import { testCertificate } from './test-certificate.js'
import { connect, isTls, testTransport } from './test-transport.js'
import type { TestTransport } from './test-transport.js'

/**
 * What the harness needs of a server, taken structurally (this package
 * does not depend on `@chat/server`, whose own tests use it): a
 * `ChatServer` is one.
 */
export interface ServerLike {
  /** Serves one connection from any transport. */
  accept: (duplex: Duplex) => void
  /** Graceful stop; aborting the signal cuts off the clients still connected. */
  close: (options?: AbortOptions) => Promise<void>
}

export interface ListeningServer extends ServerLike {
  listen: (options: { host?: string, port?: number, httpPort?: number, tls?: { cert: string, key: string } }) => Promise<AddressInfo>
  /** The HTTP listener's address (WebSocket clients), if it has one. */
  httpAddress?: () => AddressInfo | undefined
}

/** A server listening on loopback for one test. */
export interface Served<S> {
  server: S
  host: string
  /** The TCP port (TLS with the `tls` and `wss` transports: raw protocol clients need `transport: 'tcp'`). */
  port: number
  /** The HTTP (HTTPS) port, for WebSocket clients at /ws, if the server has one. */
  httpPort: number | undefined
  /** What `url` connects over. */
  transport: TestTransport
  /** The SDK's address of the server over `transport`: `tcp://<host>:<port>`, `ws://<host>:<httpPort>/ws`, `tls://...`, `wss://...`. */
  url: string
  /** Graceful stop (also done after the test); safe to call more than once. */
  close: () => Promise<void>
}

export interface ServeOptions {
  /** Default 127.0.0.1. */
  host?: string
  /**
   * Accept TCP connections with a listener of the harness (with the
   * server's own settings: half-open allowed, no delay) instead of
   * `server.listen()`, and observe each server-side duplex:
   * `RawClient`s from `h.raw(port)` then have `serverSide`. TCP only.
   */
  observed?: boolean
  /**
   * What `url` connects over. Default: `CHAT_TEST_TRANSPORT` (`tcp` when
   * unset). `tls` and `wss` make the server listen with the test
   * certificate. A test that talks raw TCP to `port` says `'tcp'`.
   */
  transport?: TestTransport
}

export interface HarnessOptions {
  /** How long each cleanup step may take before it is reported as failed (default 15 s). */
  cleanupMs?: number
}

/** The SDK's address of a server listening on `port` (TCP or TLS) and `httpPort` (HTTP or HTTPS), over `transport`. */
export function urlOf (transport: TestTransport, host: string, port: number, httpPort: number | undefined): string {
  const hostPart = host.includes(':') ? `[${host}]` : host
  if (transport === 'tcp' || transport === 'tls') return `${transport}://${hostPart}:${port}`
  if (httpPort === undefined) throw new Error(`the server has no HTTP listener for ${transport}://`)
  return `${transport}://${hostPart}:${httpPort}/ws`
}

/** How long `close()` of a server waits for its clients, after the test, before cutting them off. */
const SERVER_CLOSE_MS = 5_000

/** The harness's own TCP listener in front of a server: connections are observed on the server's side. */
class ObservedListener {
  private readonly sides = new Map<number, ObservedDuplex>()
  private readonly waiting = new Map<number, (side: ObservedDuplex) => void>()

  constructor (readonly tcp: TcpServer) {}

  accepted (remotePort: number, side: ObservedDuplex): void {
    this.sides.set(remotePort, side)
    this.waiting.get(remotePort)?.(side)
    this.waiting.delete(remotePort)
  }

  /** The server's side of the connection from our local port (accepted now or soon). */
  async sideOf (localPort: number): Promise<ObservedDuplex> {
    const side = this.sides.get(localPort)
    if (side !== undefined) return side
    return await within(new Promise(resolve => { this.waiting.set(localPort, resolve) }), `the listener to accept the connection from port ${localPort}`)
  }
}

/**
 * What one test started, all stopped after it (in `t.after`, in reverse
 * order of starting, whether the test passed or not, each step bounded in
 * time): servers, raw protocol clients over in-memory duplexes or TCP, SDK
 * clients, processes, and temporary directories (removed last, once nothing
 * uses them).
 *
 * ```ts
 * it('...', async t => {
 *   const h = new Harness(t)
 *   const server = createServer()
 *   const alice = await h.user(server, 'alice')   // in memory: server.accept() gets the other end
 * })
 * ```
 */
/** Where the harness registers its cleanup: a test's context, or a suite's `after` (`new Harness({ after })`). */
export interface CleanupScope {
  after: (fn: () => Promise<void>) => void
}

export class Harness {
  private readonly cleanups: Array<{ what: string, run: () => Promise<void> | void }> = []
  private readonly tempDirs: string[] = []
  private readonly servers = new WeakSet<object>()
  private readonly observedListeners = new Map<number, ObservedListener>()
  private readonly cleanupMs: number
  private connections = 0

  constructor (t: CleanupScope, options: HarnessOptions = {}) {
    this.cleanupMs = options.cleanupMs ?? 15_000
    t.after(async () => { await this.dispose() })
  }

  /** Runs `run` after the test, before what was registered earlier. */
  defer (what: string, run: () => Promise<void> | void): void {
    this.cleanups.push({ what, run })
  }

  /** Closes `server` after the test (`serve` and `connect` do it themselves); returns it. */
  own<S extends ServerLike> (server: S): S {
    if (!this.servers.has(server)) {
      this.servers.add(server)
      this.defer('closing a server', async () => { await server.close({ signal: AbortSignal.timeout(SERVER_CLOSE_MS) }) })
    }
    return server
  }

  /**
   * Listens on free loopback ports (`server.listen()`: TCP, and HTTP for
   * WebSockets; or the harness's own TCP listener if `observed`); closed
   * after the test. `url` is the server's address over the test's transport.
   */
  async serve<S extends ListeningServer> (server: S, options: ServeOptions = {}): Promise<Served<S>> {
    const host = options.host ?? '127.0.0.1'
    const transport = options.observed === true ? 'tcp' : options.transport ?? testTransport()
    let port: number
    let httpPort: number | undefined
    if (options.observed === true) {
      port = await this.listenObserved(server, host)
    } else {
      this.own(server)
      const tls = isTls(transport) ? testCertificate() : undefined
      port = (await within(server.listen({ host, port: 0, httpPort: 0, tls }), 'the server to listen')).port
      httpPort = server.httpAddress?.()?.port
    }
    const url = urlOf(transport, host, port, httpPort)
    return { server, host, port, httpPort, transport, url, close: async () => { await server.close() } }
  }

  /**
   * A raw client over an in-memory duplex pair whose other end goes to
   * `server.accept()`: no socket, no port. The server's side is observed
   * (`client.serverSide`). The server is closed after the test.
   */
  connect (server: ServerLike, name = `client${this.connections + 1}`, options: RawClientOptions = {}): RawClient {
    this.own(server)
    const n = ++this.connections
    // Half-open allowed on both sides, as the server's TCP listener does; the RawClient ends its side itself
    // unless told to stay half-open. The server sees one address for all (`memory`, port n), as TCP clients on one host.
    const [serverEnd, clientEnd] = duplexPair({ allowHalfOpen: true, names: [`memory:${n}`, 'memory:server'] })
    const serverSide = new ObservedDuplex(serverEnd)
    const client = new RawClient(clientEnd, name, options)
    client.serverSide = serverSide
    this.defer(`closing ${name}`, async () => { await client.close() })
    server.accept(serverSide)
    return client
  }

  /** A raw client over TCP to a port on loopback. */
  async raw (port: number, name = `client${this.connections + 1}`, options: RawClientOptions = {}): Promise<RawClient> {
    this.connections++
    const client = await RawClient.connect(port, name, options)
    this.defer(`closing ${name}`, async () => { await client.close() })
    const listener = this.observedListeners.get(port)
    if (listener !== undefined) client.serverSide = await listener.sideOf(client.localPort!)
    return client
  }

  /** A raw client logged in as `username`: in memory to a server, or over TCP to a port. */
  async user (target: ServerLike | number, username: string, options: RawClientOptions = {}): Promise<RawClient> {
    const client = typeof target === 'number' ? await this.raw(target, username, options) : this.connect(target, username, options)
    await client.login(username)
    return client
  }

  /**
   * Raw clients logged in (as `user` does) one after the other, then each
   * joined to every room of `rooms` in order, all of a user's rooms before
   * the next user joins any: with `('general', 'alice', 'bob')`, alice logs
   * in, bob logs in, alice joins, bob joins, so alice has bob's presence
   * event waiting and bob has none. The clients come back in the order named.
   */
  async usersIn (target: ServerLike | number, rooms: string | string[], ...usernames: string[]): Promise<RawClient[]> {
    const clients: RawClient[] = []
    for (const username of usernames) clients.push(await this.user(target, username))
    for (const client of clients) {
      for (const room of typeof rooms === 'string' ? [rooms] : rooms) await client.join(room)
    }
    return clients
  }

  /**
   * A logged-in SDK client, closed after the test. It does not reconnect
   * unless asked to: most tests are about one connection and what ends it;
   * reconnection tests opt in with `reconnect: true`. It trusts the test
   * certificate (`tls://`, `wss://`). `url` may list several servers of one
   * service (tried in the order given unless the options say `randomize`).
   */
  async client (url: ServerAddresses, username: string, options: Omit<ConnectOptions, 'username'> = {}): Promise<ChatClient> {
    const client = await within(connect(url, { reconnect: false, randomize: false, ...options, username }), `${username} to connect`)
    this.defer(`closing ${username}`, async () => { await client.close() })
    return client
  }

  /** Several logged-in SDK clients, all members of `room`. */
  async clientsIn (url: ServerAddresses, room: string, usernames: string[], options: Omit<ConnectOptions, 'username'> = {}): Promise<ChatClient[]> {
    const clients: ChatClient[] = []
    for (const name of usernames) {
      const client = await this.client(url, name, options)
      await within(client.join(room), `${name} to join ${room}`)
      clients.push(client)
    }
    return clients
  }

  /** A fresh temporary directory, removed after the test once everything else has stopped. */
  tempDir (prefix = 'chat-test-'): string {
    const dir = mkdtempSync(join(tmpdir(), prefix))
    this.tempDirs.push(dir)
    return dir
  }

  /** `node ...args` as a child process, killed (by its pid, if it still runs) after the test. */
  node (args: string[], options: NodeProcessOptions = {}): NodeProcess {
    const child = new NodeProcess(args, options)
    this.defer(`killing pid ${child.pid} (node ${args[0]})`, async () => { await child.kill() })
    return child
  }

  /**
   * A server process (`node ...args`) that prints `listening on <host>:<port>`
   * on stderr once it listens; resolves then. With `port`, it must get that
   * port: one just freed by a killed server may still be held for a moment, so
   * binding is retried a few times.
   */
  async serverProcess (args: string[], options: NodeProcessOptions & { port?: number } = {}): Promise<ServerProcess> {
    const attempts = options.port === undefined ? 1 : 20
    for (let attempt = 1; ; attempt++) {
      const server = new ServerProcess(args, options)
      this.defer(`killing pid ${server.pid} (node ${args[0]})`, async () => { await server.kill() })
      try {
        const [, host, port] = await server.waitFor(/listening on ([^\s]+):(\d+)/, `${args[0]} to listen`)
        server.host = host
        server.port = Number(port)
        if (options.port !== undefined && server.port !== options.port) throw new Error(`${args[0]} listens on port ${server.port}, not ${options.port}`)
        return server
      } catch (err) {
        await server.kill()
        if (attempt >= attempts || !/EADDRINUSE|address already in use/i.test(server.stderr)) throw err
        // Time for the kernel to let the port go: there is no event to wait for.
        await sleep(100 * attempt)
      }
    }
  }

  /** Runs every cleanup (newest first), then removes the temporary directories; throws what failed, after trying everything. */
  async dispose (): Promise<void> {
    const errors: unknown[] = []
    for (const { what, run } of this.cleanups.splice(0).reverse()) {
      try {
        await within(Promise.resolve().then(run), what, this.cleanupMs)
      } catch (err) {
        errors.push(err)
      }
    }
    for (const dir of this.tempDirs.splice(0)) {
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 3 })
      } catch (err) {
        errors.push(err)
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `cleanup failed: ${errors.map(String).join('; ')}`)
  }

  private async listenObserved (server: ServerLike, host: string): Promise<number> {
    const tcp = createTcpServer({ allowHalfOpen: true, noDelay: true })
    const listener = new ObservedListener(tcp)
    tcp.on('connection', socket => {
      const side = new ObservedDuplex(tcpDuplex(socket))
      listener.accepted(socket.remotePort!, side)
      server.accept(side)
    })
    tcp.listen({ host, port: 0 })
    await within(new Promise<void>((resolve, reject) => {
      tcp.once('listening', resolve)
      tcp.once('error', reject)
    }), 'the observed listener to listen')
    const { port } = tcp.address() as AddressInfo
    this.observedListeners.set(port, listener)
    // Closed after the server (which ends the connections it serves): registered first, it runs last.
    this.defer(`closing the observed listener on port ${port}`, async () => {
      await new Promise<void>(resolve => { tcp.close(() => { resolve() }) })
    })
    this.own(server)
    return port
  }
}
