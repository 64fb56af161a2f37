import { defaultTransport } from '@chat/client'
import type { PullDuplex, Transport } from '@chat/client'

/**
 * The SDK's transport for the address (TCP, TLS or WebSocket), keeping hold of each connection it opens so the
 * test can destroy the current one under the client, as a network reset would.
 */
export class CuttableTransport {
  readonly duplexes: PullDuplex[] = []

  readonly transport: Transport = async (address, options) => {
    const duplex = await defaultTransport(address, options)
    this.duplexes.push(duplex)
    return duplex
  }

  /** Connections opened so far (one per login attempt that got a socket). */
  get opened (): number {
    return this.duplexes.length
  }

  /** Destroys the newest connection. */
  cut (): void {
    const current = this.duplexes.at(-1)
    if (current === undefined) throw new Error('no connection to cut')
    current.destroy()
  }
}
