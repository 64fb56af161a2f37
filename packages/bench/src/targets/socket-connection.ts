import type { ConnectionSpec, Endpoint, LoadConnection, Receiver } from '../load/target.js'
import { dial } from './carrier.js'
import type { Carrier } from './carrier.js'

/**
 * A connection of the load generator over a byte stream (TCP, TLS or a
 * WebSocket: the endpoint's carrier): subclasses speak one protocol (`greet`
 * logs in and joins, `read` handles a chunk, `send` writes texts) and call
 * `loggedIn()` once they are members of the room, or `refused()`.
 */
export abstract class SocketConnection implements LoadConnection {
  protected readonly socket: Carrier
  /** Resolves once logged in and in the room. */
  readonly ready: Promise<this>
  private settle: ((err?: Error) => void) | undefined
  private closedByUs = false

  constructor (endpoint: Endpoint, protected readonly spec: ConnectionSpec, protected readonly receiver: Receiver) {
    this.ready = new Promise<this>((resolve, reject) => {
      this.settle = err => {
        this.settle = undefined
        if (err === undefined) { resolve(this); return }
        this.socket.destroy()
        reject(err)
      }
    })
    this.socket = dial(endpoint, {
      opened: () => { this.greet() },
      data: chunk => {
        receiver.chunkStart(chunk.length)
        this.read(chunk)
        receiver.chunkEnd()
      },
      ended: reason => { this.ended(reason) }
    })
  }

  /** Writes the login and join. */
  protected abstract greet (): void
  protected abstract read (chunk: Buffer): void
  abstract send (texts: string[]): void

  protected get isReady (): boolean {
    return this.settle === undefined
  }

  protected loggedIn (): void {
    this.settle?.()
  }

  /** The server refused something: fails the login, or the run once logged in. */
  protected refused (reason: string): void {
    if (this.settle !== undefined) this.settle(new Error(`${this.spec.name}: ${reason}`))
    else this.receiver.failed(reason)
  }

  private ended (reason: string): void {
    if (this.closedByUs) return
    this.closedByUs = true
    this.refused(reason)
  }

  close (): void {
    this.closedByUs = true
    this.socket.destroy()
  }
}
