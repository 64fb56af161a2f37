import { createServer } from 'node:net'
import type { AddressInfo, Server } from 'node:net'
import { once } from 'node:events'
import { tcpDuplex } from '@chat/transport'
import type { AbortOptions, Duplex } from '@chat/transport'

export interface ListenOptions extends AbortOptions {
  /** Default 127.0.0.1. */
  host?: string
  /** Default 7777; 0 picks a free port. */
  port?: number
}

/**
 * The TCP listener: every accepted socket becomes a `Duplex` handed to
 * `accept`. Sockets stay half-open after the peer's FIN, so the server can
 * still answer what the peer sent before it.
 */
export class TcpListener {
  private readonly server: Server

  constructor (accept: (duplex: Duplex) => void) {
    this.server = createServer({ noDelay: true, allowHalfOpen: true }, socket => { accept(tcpDuplex(socket)) })
  }

  async listen (options: ListenOptions = {}): Promise<AddressInfo> {
    const { signal } = options
    signal?.throwIfAborted()
    this.server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 7777, signal })
    await Promise.race([
      once(this.server, 'listening', { signal }),
      once(this.server, 'error', { signal }).then(([err]) => { throw err })
    ])
    return this.address()!
  }

  address (): AddressInfo | undefined {
    const address = this.server.address()
    return address !== null && typeof address === 'object' ? address : undefined
  }

  /** Stops accepting; resolves once the listener is closed (open connections are the server's). */
  async close (): Promise<void> {
    if (!this.server.listening) return
    await new Promise<void>(resolve => { this.server.close(() => { resolve() }) })
  }
}
