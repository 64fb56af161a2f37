import { createServer } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import type { Server as TlsServer, TLSSocket } from 'node:tls'
import { tcpDuplex } from '@chat/transport'
import type { AbortOptions, Duplex } from '@chat/transport'
import { listenOn } from './listen.js'
import type { TlsCredentials } from './tls-credentials.js'
import type { TransportCounters } from './transport-stats.js'

export interface ListenOptions extends AbortOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** The TCP (or TLS) port. Default 7777; 0 picks a free port. */
  port?: number
  /** Also listen for HTTP (HTTPS with `tls`), for WebSocket clients at `/ws`, on this port (0: a free one). Default: no HTTP listener. */
  httpPort?: number
  /**
   * TLS on both: the TCP port speaks only TLS (`tls://`), the HTTP one HTTPS (`wss://`), with this
   * certificate (chain) and private key, PEM. Replace them later with `server.setSecureContext`.
   */
  tls?: TlsCredentials
}

export interface TcpListenerOptions {
  /** TLS on this port (`tls://`) with these: nothing else is spoken on it. */
  tls?: TlsCredentials
  /** A TLS client must finish its handshake within this. */
  handshakeTimeoutMs: number
  counters: TransportCounters
}

/**
 * The TCP listener, plain or TLS: every accepted socket (with TLS: once its
 * handshake is done) becomes a `Duplex` handed to `accept`. Sockets stay
 * half-open after the peer's FIN, so the server can still answer what the
 * peer sent before it. With TLS, a client that does not finish its handshake
 * in time, or speaks something else, is closed and counted.
 */
export class TcpListener {
  private readonly server: Server | TlsServer
  /** TLS: sockets whose handshake is not done, by remote address (closing the listener closes them). */
  private readonly handshaking = new Map<string, Socket>()

  constructor (accept: (duplex: Duplex) => void, onError: (err: Error) => void, options: TcpListenerOptions) {
    const { tls, counters } = options
    if (tls === undefined) {
      this.server = createServer({ noDelay: true, allowHalfOpen: true }, socket => { accept(tcpDuplex(socket)) })
    } else {
      const server = createTlsServer({ cert: tls.cert, key: tls.key, handshakeTimeout: options.handshakeTimeoutMs, noDelay: true, allowHalfOpen: true })
      server.on('connection', (socket: Socket) => {
        const key = peerOf(socket)
        this.handshaking.set(key, socket)
        socket.once('close', () => { if (this.handshaking.get(key) === socket) this.handshaking.delete(key) })
      })
      server.on('secureConnection', (socket: TLSSocket) => {
        this.handshaking.delete(peerOf(socket))
        accept(tcpDuplex(socket))
      })
      server.on('tlsClientError', (err: Error, socket: TLSSocket) => {
        counters.tlsClientError(err)
        // Node does not close it after a handshake timeout (with allowHalfOpen, at least).
        socket.destroy()
      })
      this.server = server
    }
    // Once listening, an error of the listener (an accept failing for want of file descriptors) is reported, not fatal.
    this.server.on('error', err => { if (this.server.listening) onError(err) })
  }

  get secure (): boolean {
    return 'setSecureContext' in this.server
  }

  /** Resolves once listening; rejects if the address can't be bound, or with the signal's reason (nothing is left listening). */
  async listen (options: ListenOptions = {}): Promise<AddressInfo> {
    return await listenOn(this.server, { host: options.host ?? '127.0.0.1', port: options.port ?? 7777, signal: options.signal })
  }

  address (): AddressInfo | undefined {
    const address = this.server.address()
    return address !== null && typeof address === 'object' ? address : undefined
  }

  /** New TLS connections use these; open ones keep theirs. */
  setSecureContext (credentials: TlsCredentials): void {
    (this.server as TlsServer).setSecureContext({ cert: credentials.cert, key: credentials.key })
  }

  /** Stops accepting and closes the sockets still in their TLS handshake; resolves once the listener is closed (open connections are the server's). */
  async close (): Promise<void> {
    if (!this.server.listening) return
    const closed = new Promise<void>(resolve => { this.server.close(() => { resolve() }) })
    for (const socket of this.handshaking.values()) socket.destroy()
    this.handshaking.clear()
    await closed
  }
}

function peerOf (socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`
}
