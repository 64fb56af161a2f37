import { createServer, connect as netConnect } from 'node:net'
import type { Server, Socket } from 'node:net'
import { once } from 'node:events'
import { decodeServerMessage, encodeFrame, FrameDecoder } from '@chat/protocol'
import type { ServerMessage } from '@chat/protocol'
import { urlOf, within } from '@chat/testing'
import type { Served, TestTransport } from '@chat/testing'

/**
 * What the proxy does with a new client connection:
 * - `forward`: opens a new upstream connection and forwards both ways;
 * - `refuse`: closes it at once (the server looks down: fast failure);
 * - `blackhole`: accepts it and never forwards or answers (a server that hangs).
 */
export type ProxyMode = 'forward' | 'refuse' | 'blackhole'

export interface FreezeOptions {
  /** Which way to stop forwarding. Default both. */
  direction?: 'both' | 'toClient'
  /**
   * Keep the server believing the upstream connection is alive: after the
   * client side closed, the proxy pings the server itself (at a frame
   * boundary). The server then still has the old session when the client logs
   * in again, as after a half-open connection the server has not seen die.
   */
  keepUpstreamAlive?: boolean
}

/** Tracks whether a byte stream of length-prefixed frames is between frames. */
class FrameBoundary {
  /** Bytes left of the current frame's body; -1 while reading a header. */
  private body = -1
  private header = 0
  private shift = 0

  get atBoundary (): boolean {
    return this.body < 0 && this.shift === 0
  }

  push (chunk: Uint8Array): void {
    let i = 0
    while (i < chunk.length) {
      if (this.body < 0) {
        const byte = chunk[i++]
        this.header += (byte & 0x7f) * 2 ** this.shift
        this.shift += 7
        if (byte < 0x80) {
          this.body = this.header
          this.header = 0
          this.shift = 0
          if (this.body === 0) this.body = -1
        }
      } else {
        const take = Math.min(this.body, chunk.length - i)
        i += take
        this.body -= take
        if (this.body === 0) this.body = -1
      }
    }
  }
}

/** A client connection through the proxy and its upstream connection (if any). */
export class ProxiedPair {
  /** Forwarding client -> server. */
  toServer = true
  /** Forwarding server -> client. */
  toClient = true
  upstream: Socket | undefined
  /** Everything the server sent on this pair, decoded (forwarded or not). Over TCP only: other transports' bytes are not frames. */
  readonly fromServer: ServerMessage[] = []
  clientClosed = false
  upstreamClosed = false
  private readonly serverFrames = new FrameDecoder(1024 * 1024)
  private readonly upstreamBoundary = new FrameBoundary()
  private keepAlive: NodeJS.Timeout | undefined

  constructor (readonly client: Socket, private readonly transport: TestTransport) {}

  /** Wires the two sockets: data flows as the flags say; a close on one side closes the other unless frozen. */
  connect (upstream: Socket): void {
    this.upstream = upstream
    this.client.on('data', (chunk: Buffer) => {
      if (!this.toServer || upstream.destroyed) return
      this.upstreamBoundary.push(chunk)
      upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => {
      try {
        if (this.transport === 'tcp') for (const body of this.serverFrames.push(chunk)) this.fromServer.push(decodeServerMessage(body))
      } catch {
        // Only for the test's inspection: a decoding failure here changes nothing that is forwarded.
      }
      if (this.toClient && !this.client.destroyed) this.client.write(chunk)
    })
    this.client.once('close', () => {
      this.clientClosed = true
      // A frozen pair keeps its upstream: the server is not told.
      if (this.toServer) upstream.destroy()
    })
    upstream.once('close', () => {
      this.upstreamClosed = true
      clearInterval(this.keepAlive)
      if (this.toClient) this.client.destroy()
    })
  }

  freeze ({ direction = 'both', keepUpstreamAlive = false }: FreezeOptions): void {
    this.toClient = false
    if (direction === 'both') this.toServer = false
    if (keepUpstreamAlive) {
      if (this.transport !== 'tcp') throw new Error(`keepUpstreamAlive writes frames: a proxy for ${this.transport}:// can't`)
      this.toServer = false // from now on the proxy alone speaks to the server on this pair
      let n = 0
      this.keepAlive = setInterval(() => {
        const upstream = this.upstream
        if (upstream === undefined || upstream.destroyed || !this.upstreamBoundary.atBoundary) return
        upstream.write(encodeFrame({ type: 'ping', n: 9_000_000 + n++ }))
      }, 50)
    }
  }

  destroy (): void {
    clearInterval(this.keepAlive)
    this.client.destroy()
    this.upstream?.destroy()
  }
}

/**
 * A TCP proxy in front of a chat server, for tests of what the network does:
 * cut connections, go silent (half-open), refuse or swallow new ones. It
 * forwards bytes, so it works under any transport (`for(served)`); reading
 * and writing frames (`fromServer`, `keepUpstreamAlive`) needs plain TCP.
 */
export class TcpProxy {
  mode: ProxyMode = 'forward'
  readonly pairs: ProxiedPair[] = []
  /** Upstream connections opened so far. */
  upstreams = 0
  private readonly server: Server
  private constructor (
    private readonly target: { host: string, port: number },
    server: Server,
    readonly port: number,
    readonly transport: TestTransport
  ) {
    this.server = server
  }

  /** A proxy to a plain TCP port. */
  static async start (targetPort: number, targetHost = '127.0.0.1', transport: TestTransport = 'tcp'): Promise<TcpProxy> {
    const server = createServer({ noDelay: true, allowHalfOpen: false })
    server.listen({ host: '127.0.0.1', port: 0 })
    await within(once(server, 'listening'), 'the proxy to listen')
    const address = server.address()
    if (address === null || typeof address !== 'object') throw new Error('the proxy has no address')
    const proxy = new TcpProxy({ host: targetHost, port: targetPort }, server, address.port, transport)
    server.on('connection', socket => { proxy.accept(socket) })
    return proxy
  }

  /** A proxy in front of a served server, over its transport: to the HTTP port for ws:// and wss://, else the TCP one. */
  static async for (served: Served<unknown>): Promise<TcpProxy> {
    const ws = served.transport === 'ws' || served.transport === 'wss'
    const port = ws ? served.httpPort : served.port
    if (port === undefined) throw new Error('the server has no HTTP port')
    return await TcpProxy.start(port, served.host, served.transport)
  }

  /** The SDK's address of the server through the proxy. */
  get url (): string {
    return urlOf(this.transport, '127.0.0.1', this.port, this.port)
  }

  /** Points new connections elsewhere (a restarted server on another port). */
  retarget (port: number): void {
    this.target.port = port
  }

  /** Pairs whose client side is still open. */
  get open (): ProxiedPair[] {
    return this.pairs.filter(p => !p.clientClosed)
  }

  /** Closes every connection now (both sides), as a network reset would. */
  cut (): void {
    for (const pair of this.pairs) pair.destroy()
  }

  /** Existing connections stop forwarding but stay open (half-open); new ones follow `mode`. */
  freeze (options: FreezeOptions = {}): void {
    for (const pair of this.pairs) if (!pair.clientClosed) pair.freeze(options)
  }

  async close (): Promise<void> {
    const closed = new Promise<void>(resolve => { this.server.close(() => { resolve() }) })
    for (const pair of this.pairs) pair.destroy()
    await within(closed, 'the proxy to close')
  }

  private accept (client: Socket): void {
    client.setNoDelay(true)
    client.on('error', () => {})
    const pair = new ProxiedPair(client, this.transport)
    this.pairs.push(pair)
    if (this.mode === 'refuse') {
      client.destroy()
      pair.clientClosed = true
      return
    }
    client.once('close', () => { pair.clientClosed = true })
    if (this.mode === 'blackhole') {
      client.pause() // accepted, never read, never answered
      return
    }
    // Reading waits until the upstream is there, so nothing is lost meanwhile.
    client.pause()
    const upstream = netConnect({ host: this.target.host, port: this.target.port, noDelay: true })
    upstream.on('error', () => {})
    this.upstreams++
    upstream.once('connect', () => {
      pair.connect(upstream)
      client.resume()
    })
    upstream.once('close', () => {
      if (pair.upstream === undefined) client.destroy() // the server is not there
    })
  }
}
