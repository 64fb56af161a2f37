import { createServer as createHttpServer, STATUS_CODES } from 'node:http'
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { Server as HttpsServer } from 'node:https'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex as NodeDuplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import type { TlsCredentials } from './tls-credentials.js'
import type { TransportCounters } from './transport-stats.js'
import { listenOn } from './listen.js'
import type { ListenAddress } from './listen.js'

/** One path the HTTP listener serves. */
export interface HttpRoute {
  /** Answers a plain request on this path. */
  request: (request: IncomingMessage, response: ServerResponse) => void
  /** Takes over an upgrade request on this path: the socket is the route's from then on. Without it, upgrades get 404. */
  upgrade?: (request: IncomingMessage, socket: NodeDuplex, head: Buffer) => void
}

/** Path (without the query) → route. The WebSocket endpoint is one; the web app, `/healthz` and `/metrics` will be others. */
export type HttpRoutes = ReadonlyMap<string, HttpRoute>

export interface HttpListenerOptions {
  /** HTTPS with these (and WSS for the WebSocket route). */
  tls?: TlsCredentials
  /** A connection must send its request headers (and finish its TLS handshake) within this; an idle one before any request is closed too. */
  handshakeTimeoutMs: number
  counters: TransportCounters
}

/**
 * The HTTP (or HTTPS) listener: a small route table, one handler per path,
 * plain requests and upgrades alike. Unknown paths get 404. Every way a
 * client can hold a socket without finishing its request is bounded by
 * `handshakeTimeoutMs`, and counted.
 */
export class HttpListener {
  private readonly server: HttpServer | HttpsServer

  constructor (private readonly routes: HttpRoutes, options: HttpListenerOptions, onError: (err: Error) => void) {
    const timeout = options.handshakeTimeoutMs
    const httpOptions = {
      headersTimeout: timeout,
      requestTimeout: timeout,
      // How often Node checks those two: its default (30 s) would let a stalled request live far longer than the bound.
      connectionsCheckingInterval: Math.max(10, Math.min(1_000, Math.floor(timeout / 4))),
      noDelay: true
    }
    const counters = options.counters
    this.server = options.tls === undefined
      ? createHttpServer(httpOptions)
      : createHttpsServer({ ...httpOptions, cert: options.tls.cert, key: options.tls.key, handshakeTimeout: timeout })
    this.server.on('request', (request, response) => {
      const route = this.route(request)
      if (route !== undefined) route.request(request, response)
      else notFound(response)
    })
    this.server.on('upgrade', (request: IncomingMessage, socket: NodeDuplex, head: Buffer) => {
      const route = this.route(request)
      if (route?.upgrade !== undefined) route.upgrade(request, socket, head)
      else refuseUpgrade(socket, 404, 'not found')
    })
    // A connection quiet before (or between) requests: nothing has used it for the whole bound.
    this.server.setTimeout(timeout, (socket: Socket) => {
      // Counted once: Node's request-timeout check may have answered it (408) in the same turn.
      if (!socket.destroyed && !socket.writableEnded) counters.handshakeTimeouts++
      socket.destroy()
    })
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket: NodeDuplex) => {
      // Closed already (by the idle timer, in the same turn as Node's check of request timeouts, which still listed it):
      // counted, and nothing to answer.
      if (socket.destroyed) return
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
        counters.handshakeTimeouts++
        refuseUpgrade(socket, 408, 'the request took too long')
      } else {
        counters.malformedRequests++
        refuseUpgrade(socket, 400, 'malformed request')
      }
    })
    this.server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
      counters.tlsClientError(err)
      // Node does not close it after a handshake timeout.
      socket.destroy()
    })
    // Once listening, an error of the listener (an accept failing for want of file descriptors) is reported, not fatal.
    this.server.on('error', err => { if (this.server.listening) onError(err) })
  }

  get secure (): boolean {
    return 'setSecureContext' in this.server
  }

  /** Resolves once listening; rejects if the address can't be bound, or with the signal's reason (nothing is left listening). */
  async listen (options: ListenAddress): Promise<AddressInfo> {
    return await listenOn(this.server, options)
  }

  address (): AddressInfo | undefined {
    const address = this.server.address()
    return address !== null && typeof address === 'object' ? address : undefined
  }

  /** New TLS connections use these; open ones keep theirs. */
  setSecureContext (credentials: TlsCredentials): void {
    (this.server as HttpsServer).setSecureContext({ cert: credentials.cert, key: credentials.key })
  }

  /**
   * Stops accepting and closes every connection still in HTTP (idle,
   * or in the middle of a request); upgraded ones are their route's.
   */
  async close (): Promise<void> {
    if (!this.server.listening) return
    const closed = new Promise<void>(resolve => { this.server.close(() => { resolve() }) })
    this.server.closeAllConnections()
    await closed
  }

  private route (request: IncomingMessage): HttpRoute | undefined {
    const url = request.url ?? '/'
    const query = url.indexOf('?')
    return this.routes.get(query < 0 ? url : url.slice(0, query))
  }
}

function notFound (response: ServerResponse): void {
  response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' })
  response.end('not found\n')
}

/** Answers on a socket that is not an HTTP response any more (an upgrade, a client error) with a short text, then closes it. */
export function refuseUpgrade (socket: NodeDuplex, status: number, message: string, headers: Record<string, string> = {}): void {
  if (socket.writable) {
    const lines = [`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`, 'Connection: close', 'Content-Type: text/plain; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(message) + 1}`, ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`)]
    // Closed once written: end() alone would wait for the peer to close its side.
    socket.end(`${lines.join('\r\n')}\r\n\r\n${message}\n`, () => { socket.destroy() })
  } else {
    socket.destroy()
  }
}
