import { connect } from 'node:net'
import type { Socket } from 'node:net'
import type { ConnectionSpec, LoadConnection, Receiver } from '../load/target.js'

/**
 * A raw TCP connection of the load generator: subclasses speak one protocol
 * (`greet` logs in and joins, `read` handles a chunk, `send` writes texts) and
 * call `loggedIn()` once they are members of the room, or `refused()`.
 */
export abstract class SocketConnection implements LoadConnection {
  protected readonly socket: Socket
  /** Resolves once logged in and in the room. */
  readonly ready: Promise<this>
  private settle: ((err?: Error) => void) | undefined
  private closedByUs = false

  constructor (port: number, protected readonly spec: ConnectionSpec, protected readonly receiver: Receiver) {
    this.ready = new Promise<this>((resolve, reject) => {
      this.settle = err => {
        this.settle = undefined
        if (err === undefined) { resolve(this); return }
        this.socket.destroy()
        reject(err)
      }
    })
    this.socket = connect(port, '127.0.0.1')
    this.socket.setNoDelay(true)
    this.socket.once('connect', () => { this.greet() })
    this.socket.on('data', (chunk: Buffer) => {
      receiver.chunkStart(chunk.length)
      this.read(chunk)
      receiver.chunkEnd()
    })
    this.socket.on('error', err => { this.ended(`socket error: ${err.message}`) })
    this.socket.on('close', () => { this.ended('connection closed by the server') })
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
