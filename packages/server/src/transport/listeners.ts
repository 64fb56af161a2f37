import type { AddressInfo } from 'node:net'
import { WEBSOCKET_PATH } from '@chat/protocol'
import type { Duplex } from '@chat/transport'
import type { Logger } from '../logger.js'
import { HttpListener } from './http-listener.js'
import type { HttpRoute, HttpRoutes } from './http-listener.js'
import { OriginPolicy } from './origin-policy.js'
import { TcpListener } from './tcp-listener.js'
import type { ListenOptions } from './tcp-listener.js'
import { checkTlsCredentials } from './tls-credentials.js'
import type { TlsCredentials } from './tls-credentials.js'
import type { TransportCounters } from './transport-stats.js'
import { WebPage } from './web-page.js'
import type { WebPageOptions } from './web-page.js'
import { WsEndpoint } from './ws-endpoint.js'

export interface ListenersOptions {
  maxFrameBytes: number
  wsCompression: boolean
  allowedOrigins: readonly string[]
  handshakeTimeoutMs: number
  /** The web page at `/` on the HTTP listener, or none. */
  web: WebPageOptions | undefined
  logger: Logger
}

/**
 * The server's listeners: TCP (or TLS), and HTTP (or HTTPS) with the
 * WebSocket endpoint at /ws. Each hands its connections to `accept` as a
 * `Duplex`; past that, nothing knows which one a connection came by.
 */
export class Listeners {
  private tcp: TcpListener | undefined
  private http: HttpListener | undefined

  constructor (
    /** Takes a connection, with the name of what it came by (`tcp`, `tls`, `ws`, `wss`). */
    private readonly accept: (duplex: Duplex, transport: string) => void,
    private readonly options: ListenersOptions,
    private readonly counters: TransportCounters,
    /** Paths the HTTP listener serves besides the WebSocket endpoint (health, metrics, the web app). */
    private readonly routes: HttpRoutes = new Map()
  ) {}

  /** Listens on TCP, and on HTTP with `httpPort`; resolves with the TCP address. If either can't listen, neither does (and `listen` may be called again). */
  async listen (options: ListenOptions): Promise<AddressInfo> {
    if (this.tcp !== undefined) throw new Error('the server listens already')
    if (options.tls !== undefined) checkTlsCredentials(options.tls)
    const { logger } = this.options
    const onError = (err: Error): void => { logger.warn(`listener: ${err.message}`) }
    const transport = { tls: options.tls, handshakeTimeoutMs: this.options.handshakeTimeoutMs, counters: this.counters }
    const host = options.host ?? '127.0.0.1'
    const tcpName = options.tls === undefined ? 'tcp' : 'tls'
    const tcp = this.tcp = new TcpListener(duplex => { this.accept(duplex, tcpName) }, onError, transport)
    const web = this.options.web === undefined ? undefined : new WebPage(this.options.web)
    try {
      const address = await tcp.listen({ host, port: options.port ?? 7777, signal: options.signal })
      let http: HttpListener | undefined
      if (options.httpPort !== undefined) {
        const page = web === undefined ? [] : web.routes()
        const routes = new Map<string, HttpRoute>([...this.routes, [WEBSOCKET_PATH, this.webSocketEndpoint(options.tls !== undefined)], ...page])
        http = this.http = new HttpListener(routes, transport, onError)
        await http.listen({ host, port: options.httpPort, signal: options.signal })
      }
      // Said once both listen: the TCP line first (scripts wait for `listening on <host>:<port>`).
      logger.info(`listening on ${address.address}:${address.port}${tcp.secure ? ' (tls)' : ''}`)
      const httpAddress = http?.address()
      if (httpAddress !== undefined) {
        const scheme = http!.secure ? 'https' : 'http'
        logger.info(`${scheme} listening on ${httpAddress.address}:${httpAddress.port} (WebSocket at ${WEBSOCKET_PATH})`)
        if (web !== undefined) {
          // Said at once (the caller installs its signal handlers when listen resolves); the files are read at the first request.
          const pageUrl = `${scheme}://${httpAddress.family === 'IPv6' ? `[${httpAddress.address}]` : httpAddress.address}:${httpAddress.port}/`
          if (web.built()) logger.info(`web page at ${pageUrl}`)
          else logger.warn(`the web page is not built (nothing in ${this.options.web!.root}): run pnpm build; ${pageUrl} answers 503 until then`)
        }
      }
      return address
    } catch (err) {
      await tcp.close()
      this.tcp = undefined
      this.http = undefined
      throw err
    }
  }

  address (): AddressInfo | undefined {
    return this.tcp?.address()
  }

  httpAddress (): AddressInfo | undefined {
    return this.http?.address()
  }

  /** New TLS connections on both listeners get these; throws, changing nothing, if they can't be used or there is no TLS. */
  setSecureContext (credentials: TlsCredentials): void {
    if (this.tcp?.secure !== true) throw new Error('the server does not listen with tls: there is no certificate to replace')
    checkTlsCredentials(credentials)
    this.tcp.setSecureContext(credentials)
    this.http?.setSecureContext(credentials)
  }

  /** Stops accepting; resolves once both listeners are closed (open connections are the server's). */
  async close (): Promise<void> {
    await Promise.all([this.tcp?.close(), this.http?.close()])
  }

  private webSocketEndpoint (secure: boolean): WsEndpoint {
    const name = secure ? 'wss' : 'ws'
    return new WsEndpoint(duplex => { this.accept(duplex, name) }, {
      maxFrameBytes: this.options.maxFrameBytes,
      compression: this.options.wsCompression,
      origins: new OriginPolicy(this.options.allowedOrigins),
      secure,
      counters: this.counters
    })
  }
}
