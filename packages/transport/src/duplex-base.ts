import type { Duplex, DuplexEvents } from './duplex.js'
import { PullForm } from './pull-form.js'

/**
 * What every transport shares: the pull form (`source`, `sink`), built on
 * first use over the push form the transport implements.
 */
export abstract class DuplexBase implements Duplex {
  // Made on first use: a server's connections use the push form only.
  private pull: PullForm | undefined
  private sourceIterator: AsyncIterable<Uint8Array> | undefined

  abstract readonly remoteAddress: string
  abstract readonly writableLength: number
  abstract readonly closed: Promise<void>
  abstract attach (events: DuplexEvents): void
  abstract pause (): void
  abstract resume (): void
  abstract write (chunk: Uint8Array): boolean
  abstract end (): void
  abstract destroy (): void

  get source (): AsyncIterable<Uint8Array> {
    this.sourceIterator ??= this.pullForm().source()
    return this.sourceIterator
  }

  async sink (source: AsyncIterable<Uint8Array>): Promise<void> {
    await this.pullForm().sink(source)
  }

  private pullForm (): PullForm {
    this.pull ??= new PullForm(this)
    return this.pull
  }
}
