import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { decodeServerMessage, encodeFrame, FrameDecoder } from '@chat/protocol'
import type { ClientMessage, ClientRequest, ServerMessage, WelcomeMessage } from '@chat/protocol'
import { createServer } from '../src/index.js'
import type { ChatServer, ServerOptions } from '../src/index.js'

/** How long a test waits for something before failing instead of hanging. */
export const WAIT_MS = 5_000

/** A client request without its `req`, which `RawClient.request` numbers itself. */
export type RequestWithoutId = { [T in ClientRequest['type']]: Omit<Extract<ClientRequest, { type: T }>, 'req'> }[ClientRequest['type']]

export interface RawClientOptions {
  /** Answer the server's pings (default true). Off, the client is silent: no bytes unless a test sends them. */
  autoPong?: boolean
  /** Largest frame this client accepts from the server (default: the protocol's). */
  maxFrameBytes?: number
  /** Keep our side open after the server's FIN (default false: end it, as a plain client does). */
  allowHalfOpen?: boolean
}

interface Waiter {
  predicate: (message: ServerMessage) => boolean
  resolve: (message: ServerMessage) => void
}

/**
 * A test client over a real TCP socket, speaking frames directly: it sends typed
 * client messages (or raw bytes) and lets the test await the next server
 * message matching a predicate. Every wait fails after `WAIT_MS` instead of hanging.
 */
export class RawClient {
  /** Every server message received, in order (the pending ones included). */
  readonly received: ServerMessage[] = []
  /** Set if the server sent bytes this client could not decode. */
  decodeError: Error | undefined
  /** Settles when the socket has closed, however it happened. */
  readonly closed: Promise<void>
  isClosed = false

  private readonly frames: FrameDecoder
  /** Received and not yet taken by `next`. */
  private pending: ServerMessage[] = []
  private readonly waiters = new Set<Waiter>()
  private nextReq = 1

  private constructor (readonly socket: Socket, readonly name: string, options: RawClientOptions) {
    this.frames = new FrameDecoder(options.maxFrameBytes)
    const autoPong = options.autoPong ?? true
    // A reset peer is a close as far as the tests are concerned.
    socket.on('error', () => {})
    this.closed = new Promise(resolve => {
      socket.once('close', () => { this.isClosed = true; resolve() })
    })
    socket.on('data', (chunk: Buffer) => {
      if (this.decodeError !== undefined) return
      try {
        for (const body of this.frames.push(chunk)) {
          const message = decodeServerMessage(body)
          if (autoPong && message.type === 'ping') this.send({ type: 'pong', n: message.n })
          this.deliver(message)
        }
      } catch (err) {
        this.decodeError = err as Error
      }
    })
  }

  static async connect (port: number, name = 'client', options: RawClientOptions = {}): Promise<RawClient> {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true, allowHalfOpen: options.allowHalfOpen ?? false })
    await withTimeout(new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('error', reject)
    }), `${name}: connect to port ${port}`)
    return new RawClient(socket, name, options)
  }

  /** Sends one message as one frame. */
  send (message: ClientMessage | Record<string, unknown>): void {
    this.sendRaw(encodeFrame(message as ClientMessage))
  }

  sendRaw (bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes)
  }

  /** A fresh request id. */
  req (): number {
    return this.nextReq++
  }

  /** Sends a request with a fresh `req` and resolves with the reply carrying it back as `re`. */
  async request (message: RequestWithoutId): Promise<ServerMessage> {
    const req = this.req()
    this.send({ ...message, req } as ClientMessage)
    return await this.next(m => 're' in m && m.re === req, `reply to ${message.type} #${req}`)
  }

  /** Sends hello and expects a welcome. */
  async login (username: string): Promise<WelcomeMessage> {
    const reply = await this.request({ type: 'hello', v: 1, username })
    if (reply.type !== 'welcome') throw new Error(`${this.name}: hello as ${username} got ${JSON.stringify(reply)}`)
    return reply
  }

  /** Joins a room and expects `joined`. */
  async join (room: string): Promise<void> {
    const reply = await this.request({ type: 'join', room })
    if (reply.type !== 'joined') throw new Error(`${this.name}: join ${room} got ${JSON.stringify(reply)}`)
  }

  /**
   * Takes the first received message (oldest first) that matches, waiting for
   * one if none has arrived yet. Messages that don't match stay pending.
   */
  async next (predicate: (message: ServerMessage) => boolean = () => true, what = 'a message', timeoutMs = WAIT_MS): Promise<ServerMessage> {
    const index = this.pending.findIndex(predicate)
    if (index >= 0) return this.pending.splice(index, 1)[0]
    let waiter: Waiter | undefined
    const arrived = new Promise<ServerMessage>(resolve => {
      waiter = { predicate, resolve }
      this.waiters.add(waiter)
    })
    try {
      return await withTimeout(arrived, `${this.name}: waiting for ${what}`, timeoutMs, () => this.describe())
    } finally {
      this.waiters.delete(waiter!)
    }
  }

  /** The next message of a type (and optionally more conditions). */
  async nextOfType<T extends ServerMessage['type']> (type: T, predicate: (message: Extract<ServerMessage, { type: T }>) => boolean = () => true, timeoutMs = WAIT_MS): Promise<Extract<ServerMessage, { type: T }>> {
    return await this.next(m => m.type === type && predicate(m as Extract<ServerMessage, { type: T }>), `a "${type}" message`, timeoutMs) as Extract<ServerMessage, { type: T }>
  }

  /**
   * Round trip through the server: everything the server queued for this
   * client before it answered the ping has arrived when this resolves.
   */
  async sync (): Promise<void> {
    const n = 1_000_000 + this.nextReq++
    this.send({ type: 'ping', n })
    await this.next(m => m.type === 'pong' && m.n === n, `pong ${n}`)
  }

  /** Received messages not yet taken by `next`. */
  get unread (): ServerMessage[] {
    return [...this.pending]
  }

  async waitClosed (timeoutMs = WAIT_MS): Promise<void> {
    await withTimeout(this.closed, `${this.name}: waiting for the socket to close`, timeoutMs, () => this.describe())
  }

  /** Ends our side and waits for the close (destroying the socket if the server doesn't close it). */
  async close (): Promise<void> {
    if (this.isClosed) return
    this.socket.end()
    try {
      await this.waitClosed(1_000)
    } catch {
      this.socket.destroy()
      await this.closed
    }
  }

  destroy (): void {
    this.socket.destroy()
  }

  private deliver (message: ServerMessage): void {
    this.received.push(message)
    for (const waiter of this.waiters) {
      if (waiter.predicate(message)) {
        this.waiters.delete(waiter)
        waiter.resolve(message)
        return
      }
    }
    this.pending.push(message)
  }

  private describe (): string {
    const last = this.received.slice(-5).map(m => JSON.stringify(m).slice(0, 200))
    return `closed=${this.isClosed}, ${this.received.length} received, last: ${last.join(' | ') || '(none)'}` +
      (this.decodeError !== undefined ? `, decode error: ${this.decodeError.message}` : '')
  }
}

/** Rejects with a descriptive error if `promise` hasn't settled in time. */
export async function withTimeout<T> (promise: Promise<T>, what: string, timeoutMs = WAIT_MS, details?: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${timeoutMs} ms ${what}${details !== undefined ? ` (${details()})` : ''}`))
    }, timeoutMs)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

export const delay = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/**
 * A started server plus the clients a test opened, all closed by `close()`
 * (clients first, so the server's close doesn't wait on them).
 */
export class TestBed {
  readonly clients: RawClient[] = []

  private constructor (readonly server: ChatServer, readonly port: number) {}

  static async start (options: ServerOptions = {}): Promise<TestBed> {
    const server = createServer({ closeTimeoutMs: 500, ...options })
    const address = await server.listen({ host: '127.0.0.1', port: 0 })
    return new TestBed(server, address.port)
  }

  async client (name = `client${this.clients.length + 1}`, options: RawClientOptions = {}): Promise<RawClient> {
    const client = await RawClient.connect(this.port, name, options)
    this.clients.push(client)
    return client
  }

  /** A client logged in as `username`. */
  async user (username: string, options: RawClientOptions = {}): Promise<RawClient> {
    const client = await this.client(username, options)
    await client.login(username)
    return client
  }

  async close (): Promise<void> {
    await Promise.all(this.clients.map(async client => { await client.close() }))
    await withTimeout(this.server.close(), 'server.close()')
  }
}
