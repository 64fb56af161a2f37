import { connect as netConnect } from 'node:net'
import { decodeServerMessage, encodeFrame, FrameDecoder, PROTOCOL_VERSION } from '@chat/protocol'
import type { ClientMessage, ClientRequest, ServerMessage, WelcomeMessage } from '@chat/protocol'
import { tcpDuplex } from '@chat/transport'
import type { Duplex, DuplexEvents } from '@chat/transport'
import type { ObservedDuplex } from './observed-duplex.js'
import { within, WAIT_MS } from './wait.js'

/** A client request without its `req`, which `RawClient.request` numbers itself. */
export type RequestWithoutId = { [T in ClientRequest['type']]: Omit<Extract<ClientRequest, { type: T }>, 'req'> }[ClientRequest['type']]

/** Anything with a type, for requests the protocol does not have or gets wrong on purpose. */
export type LooseRequest = { type: string } & Record<string, unknown>

export interface RawClientOptions {
  /** Answer the server's pings (default true). Off, the client is silent: no bytes unless the test sends them. */
  autoPong?: boolean
  /** Largest frame this client accepts from the server (default: the protocol's). */
  maxFrameBytes?: number
  /** Keep our side open after the server ended its side (default false: end ours too, as a plain client does). */
  allowHalfOpen?: boolean
  /** Over TCP, the address to connect from: another loopback address (127.0.0.2, ...) is another client address to the server. */
  localAddress?: string
}

interface Waiter {
  predicate: (message: ServerMessage) => boolean
  what: string
  resolve: (message: ServerMessage) => void
  reject: (err: Error) => void
}

/**
 * A test client that speaks frames directly, over any `Duplex` (an in-memory
 * pair, a TCP socket): it sends typed client messages, or raw bytes, and lets
 * the test await server messages. For what the SDK won't do: send garbage, go
 * silent, vanish without a goodbye, half-close.
 *
 * Two ways to wait: `next` takes the oldest received message a predicate
 * accepts (each one is taken once); `waitFor` finds one among everything
 * received without taking it. Either fails at once if the connection closes
 * first, and after `WAIT_MS` instead of hanging.
 */
export class RawClient {
  /** Every server message received, in order (the ones not taken yet included). */
  readonly received: ServerMessage[] = []
  /** Set if the server sent bytes this client could not decode; nothing is read after it. */
  decodeError: Error | undefined
  /** Settles once the connection has closed, however it happened. */
  readonly closed: Promise<void>
  isClosed = false
  /** True once the server ended its side. */
  endReceived = false
  /** True once we ended our side (or destroyed the connection). */
  endSent = false
  /**
   * The server's side of this connection, where the harness can see it
   * (in-memory connections, and TCP to a server served with `observed`):
   * `await client.serverSide.ended` once the server has seen our end.
   */
  serverSide: ObservedDuplex | undefined
  /** Our port, over TCP (to find our connection among a listener's). */
  localPort: number | undefined

  private readonly frames: FrameDecoder
  private readonly autoPong: boolean
  private readonly allowHalfOpen: boolean
  /** Received and not yet taken by `next`. */
  private pending: ServerMessage[] = []
  private readonly waiters = new Set<Waiter>()
  /** Called after every message and at the close (`waitFor`). */
  private readonly listeners = new Set<() => void>()
  private nextReq = 1
  private resolveClosed!: () => void

  constructor (readonly duplex: Duplex, readonly name = 'client', options: RawClientOptions = {}) {
    this.frames = new FrameDecoder(options.maxFrameBytes)
    this.autoPong = options.autoPong ?? true
    this.allowHalfOpen = options.allowHalfOpen ?? false
    this.closed = new Promise(resolve => { this.resolveClosed = resolve })
    const events: DuplexEvents = {
      onData: chunk => { this.onData(chunk) },
      onEnd: () => {
        this.endReceived = true
        if (!this.allowHalfOpen) this.end()
      },
      onDrain: () => {},
      onClose: () => { this.onClose() }
    }
    duplex.attach(events)
  }

  /** A client over a new TCP connection to `host:port` (our side stays open after the server's end only with `allowHalfOpen`). */
  static async connect (port: number, name = 'client', options: RawClientOptions = {}, host = '127.0.0.1'): Promise<RawClient> {
    const socket = netConnect({ host, port, noDelay: true, allowHalfOpen: true, localAddress: options.localAddress })
    socket.on('error', () => {}) // a reset is a close, seen through 'close'
    await within(new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('close', () => { reject(new Error(`${name}: could not connect to ${host}:${port}`)) })
    }), `${name} to connect to ${host}:${port}`)
    const client = new RawClient(tcpDuplex(socket), name, options)
    client.localPort = socket.localPort
    return client
  }

  /** Sends one message as one frame (anything with a type: the server's refusals are tested this way too). */
  send (message: ClientMessage | LooseRequest): void {
    this.sendRaw(encodeFrame(message as ClientMessage))
  }

  /** Sends bytes as they are, in one write. */
  sendRaw (bytes: Uint8Array): void {
    if (!this.isClosed && !this.endSent) this.duplex.write(bytes)
  }

  /** A fresh request id. */
  req (): number {
    return this.nextReq++
  }

  /** Sends a request with a fresh `req` and resolves with the reply carrying it back as `re`. */
  async request (message: RequestWithoutId | LooseRequest): Promise<ServerMessage> {
    const req = this.req()
    this.send({ ...message, req })
    return await this.next(m => 're' in m && m.re === req, `the reply to ${message.type} #${req}`)
  }

  /** Sends hello and expects a welcome. */
  async login (username: string): Promise<WelcomeMessage> {
    const reply = await this.request({ type: 'hello', v: PROTOCOL_VERSION, username })
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
   * one if none has arrived yet. Messages that don't match stay to be taken.
   */
  async next (predicate: (message: ServerMessage) => boolean = () => true, what = 'a message', ms = WAIT_MS): Promise<ServerMessage> {
    const index = this.pending.findIndex(predicate)
    if (index >= 0) return this.pending.splice(index, 1)[0]
    if (this.isClosed) throw new Error(`${this.name}: the connection closed before ${what} (${this.describe()})`)
    let waiter: Waiter | undefined
    const arrived = new Promise<ServerMessage>((resolve, reject) => {
      waiter = { predicate, what, resolve, reject }
      this.waiters.add(waiter)
    })
    try {
      return await within(arrived, `${this.name}: ${what}`, ms, () => this.describe())
    } finally {
      this.waiters.delete(waiter!)
    }
  }

  /** The next message of a type (and optionally more conditions). */
  async nextOfType<T extends ServerMessage['type']> (type: T, predicate: (message: Extract<ServerMessage, { type: T }>) => boolean = () => true, ms = WAIT_MS): Promise<Extract<ServerMessage, { type: T }>> {
    return await this.next(m => m.type === type && predicate(m as Extract<ServerMessage, { type: T }>), `a "${type}" message`, ms) as Extract<ServerMessage, { type: T }>
  }

  /** The first message received (earlier ones included, taken or not) that `predicate` accepts; nothing is taken. */
  async waitFor (predicate: (message: ServerMessage) => boolean, what: string, ms = WAIT_MS): Promise<ServerMessage> {
    let check: (() => void) | undefined
    const found = new Promise<ServerMessage>((resolve, reject) => {
      check = (): void => {
        const message = this.received.find(predicate)
        if (message !== undefined) resolve(message)
        else if (this.isClosed) reject(new Error(`${this.name}: the connection closed before ${what} (${this.describe()})`))
      }
      this.listeners.add(check)
      check()
    })
    try {
      return await within(found, `${this.name}: ${what}`, ms, () => this.describe())
    } finally {
      this.listeners.delete(check!)
    }
  }

  /**
   * Round trip through the server: everything the server queued for this
   * client before it answered our ping has arrived when this resolves.
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

  /** Waits until the connection has closed (whoever closed it). */
  async waitClosed (what = 'the connection to close', ms = WAIT_MS): Promise<void> {
    await within(this.closed, `${this.name}: ${what}`, ms, () => this.describe())
  }

  /** Ends our side (a half-close: what the server sends still arrives). */
  end (): void {
    if (this.endSent) return
    this.endSent = true
    this.duplex.end()
  }

  /** Stops reading: the server's writes back up (in the transport, then in the server's queue). */
  pause (): void {
    this.duplex.pause()
  }

  resume (): void {
    this.duplex.resume()
  }

  /** Ends our side and waits for the close (destroying the connection if the server doesn't close it soon). */
  async close (): Promise<void> {
    if (this.isClosed) return
    this.end()
    try {
      await this.waitClosed('the close after our end', 1_000)
    } catch {
      this.destroy()
      await this.closed
    }
  }

  /** Vanishes without a goodbye. */
  destroy (): void {
    this.endSent = true
    this.duplex.destroy()
  }

  private onData (chunk: Uint8Array): void {
    if (this.decodeError !== undefined) return
    try {
      for (const body of this.frames.push(chunk)) {
        const message = decodeServerMessage(body)
        if (this.autoPong && message.type === 'ping') this.send({ type: 'pong', n: message.n })
        this.deliver(message)
      }
      if (this.frames.error !== undefined) this.decodeError = this.frames.error
    } catch (err) {
      this.decodeError = err as Error
    }
    this.notify()
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

  private onClose (): void {
    if (this.isClosed) return
    this.isClosed = true
    for (const waiter of this.waiters) waiter.reject(new Error(`${this.name}: the connection closed before ${waiter.what} (${this.describe()})`))
    this.waiters.clear()
    this.notify()
    this.resolveClosed()
  }

  private notify (): void {
    for (const listener of [...this.listeners]) listener()
  }

  private describe (): string {
    const last = this.received.slice(-5).map(m => JSON.stringify(m).slice(0, 200))
    return `closed=${this.isClosed}, ${this.received.length} received, last: ${last.join(' | ') || '(none)'}` +
      (this.decodeError !== undefined ? `, decode error: ${this.decodeError.message}` : '')
  }
}
