import type { AddressInfo, Server } from 'node:net'
import type { AbortOptions } from '@chat/transport'

export interface ListenAddress extends AbortOptions {
  host: string
  /** 0 picks a free port. */
  port: number
}

/** Resolves once `server` listens; rejects if the address can't be bound, or with the signal's reason (nothing is left listening). */
export async function listenOn (server: Server, options: ListenAddress): Promise<AddressInfo> {
  const { signal } = options
  signal?.throwIfAborted()
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
    server.listen({ host: options.host, port: options.port })
  })
  return server.address() as AddressInfo
}
