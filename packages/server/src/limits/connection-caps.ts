import type { ResolvedLimitOptions } from './limit-options.js'

/**
 * Open connections, in all and per address (`addressKey`): what
 * `ChatServer.accept` asks before serving a new one, whatever its transport.
 */
export class ConnectionCaps {
  private readonly perAddress = new Map<string, number>()
  private total = 0

  constructor (private readonly options: Pick<ResolvedLimitOptions, 'maxConnections' | 'maxConnectionsPerIp'>) {}

  /** Counts a new connection from `address` in, or says why it must be refused. */
  admit (address: string): string | undefined {
    const { maxConnections, maxConnectionsPerIp } = this.options
    const fromAddress = this.perAddress.get(address) ?? 0
    if (this.total >= maxConnections) return `the server holds ${this.total} connections, its limit`
    if (fromAddress >= maxConnectionsPerIp) return `${fromAddress} connections are open from ${address}, the limit per address`
    this.perAddress.set(address, fromAddress + 1)
    this.total++
    return undefined
  }

  /** A connection `admit` let in has closed. */
  release (address: string): void {
    const fromAddress = this.perAddress.get(address) ?? 0
    if (fromAddress <= 1) this.perAddress.delete(address)
    else this.perAddress.set(address, fromAddress - 1)
    this.total--
  }
}
