import { connect as netConnect } from 'node:net'
import type { Socket } from 'node:net'
import { once } from 'node:events'
import { decodeServerMessage, encodeFrame, FrameDecoder, PROTOCOL_VERSION } from '@chat/protocol'
import type { ClientMessage, ServerMessage } from '@chat/protocol'
import { within, WAIT_MS } from './wait.js'

/**
 * A client that speaks frames over a bare TCP socket, for what the SDK won't
 * do: send garbage, go silent, vanish without a goodbye. It always reads (so
 * the server's writes and FIN reach it) and never answers pings.
 */
export class RawClient {
  /** Every server message received, in order. */
  readonly received: ServerMessage[] = []
  /** Settles once the socket has closed, whoever closed it. */
  readonly closed: Promise<void>
  isClosed = false
  /** Set if the server sent bytes this client could not decode. */
  decodeError: Error | undefined

  private readonly frames = new FrameDecoder(1024 * 1024)
  private readonly listeners = new Set<() => void>()
  private nextReq = 1

  private constructor (readonly socket: Socket) {
    socket.on('error', () => {})
    this.closed = new Promise(resolve => {
      socket.once('close', () => { this.isClosed = true; this.notify(); resolve() })
    })
    socket.on('data', (chunk: Buffer) => {
      if (this.decodeError !== undefined) return
      try {
        for (const body of this.frames.push(chunk)) this.received.push(decodeServerMessage(body))
      } catch (err) {
        this.decodeError = err as Error
      }
      this.notify()
    })
  }

  static async connect (port: number): Promise<RawClient> {
    const socket = netConnect({ host: '127.0.0.1', port })
    await within(once(socket, 'connect'), `a raw connection to port ${port}`)
    return new RawClient(socket)
  }

  /** Sends one well-formed frame. */
  send (message: ClientMessage): void {
    this.socket.write(encodeFrame(message))
  }

  /** Sends arbitrary bytes. */
  write (bytes: Uint8Array): void {
    this.socket.write(bytes)
  }

  /** Sends a request with the next request id and waits for the reply to it. */
  async request (message: Record<string, unknown> & { type: string }): Promise<ServerMessage> {
    const req = this.nextReq++
    this.send({ ...message, req } as unknown as ClientMessage)
    return await this.waitFor(m => 're' in m && m.re === req, `the reply to raw ${message.type} #${req}`)
  }

  /** Logs in and fails unless welcomed. */
  async login (username: string): Promise<void> {
    const reply = await this.request({ type: 'hello', v: PROTOCOL_VERSION, username })
    if (reply.type !== 'welcome') throw new Error(`raw login as ${username} refused: ${JSON.stringify(reply)}`)
  }

  async join (room: string): Promise<void> {
    const reply = await this.request({ type: 'join', room })
    if (reply.type !== 'joined') throw new Error(`raw join ${room} refused: ${JSON.stringify(reply)}`)
  }

  /** The first message received (earlier ones included) that `predicate` accepts. */
  async waitFor (predicate: (message: ServerMessage) => boolean, what: string, ms = WAIT_MS): Promise<ServerMessage> {
    return await within(new Promise<ServerMessage>((resolve, reject) => {
      const check = (): void => {
        const found = this.received.find(predicate)
        if (found !== undefined) {
          this.listeners.delete(check)
          resolve(found)
        } else if (this.isClosed) {
          this.listeners.delete(check)
          reject(new Error(`the raw socket closed before ${what}; received ${JSON.stringify(this.received)}`))
        }
      }
      this.listeners.add(check)
      check()
    }), what, ms)
  }

  /** Waits until the server (or anyone) closed the socket. */
  async waitClosed (what = 'the raw socket to close', ms = WAIT_MS): Promise<void> {
    await within(this.closed, what, ms)
  }

  /** Vanishes without a goodbye. */
  destroy (): void {
    this.socket.destroy()
  }

  private notify (): void {
    for (const listener of [...this.listeners]) listener()
  }
}
