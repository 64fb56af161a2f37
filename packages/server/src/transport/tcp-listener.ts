import { createServer } from 'node:net'
import type { AddressInfo, Server } from 'node:net'
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

  constructor (accept: (duplex: Duplex) => void, onError: (err: Error) => void) {
    this.server = createServer({ noDelay: true, allowHalfOpen: true }, socket => { accept(tcpDuplex(socket)) })
    // Once listening, an error of the listener (an accept failing for want of file descriptors) is reported, not fatal.
    this.server.on('error', err => { if (this.server.listening) onError(err) })
  }

  /** Resolves once listening; rejects if the address can't be bound, or with the signal's reason (nothing is left listening). */
  async listen (options: ListenOptions = {}): Promise<AddressInfo> {
    const { signal } = options
    signal?.throwIfAborted()
    const server = this.server
    await new Promise<void>((resolve, reject) => {
      const done = (err?: unknown): void => {
        server.off('listening', done)
        server.off('error', done)
        signal?.removeEventListener('abort', aborted)
        if (err === undefined) resolve()
        else reject(err)
      }
      const aborted = (): void => {
        server.close()
        done(signal!.reason)
      }
      server.once('listening', done)
      server.once('error', done)
      signal?.addEventListener('abort', aborted, { once: true })
      server.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 7777 })
    })
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
