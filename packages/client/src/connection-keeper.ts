import { ErrorCodes, PROTOCOL_VERSION } from '@chat/protocol'
import type { ServerMessage, WelcomeMessage } from '@chat/protocol'
import type { RequestBody } from './call-table.js'
import { sleep } from './abortable.js'
import { ChatError } from './chat-error.js'
import { ClientConnection } from './client-connection.js'
import type { ConnectionHandler } from './client-connection.js'
import type { ServerInfo } from './client-types.js'
import type { ConnectOptions } from './options.js'
import { mayRetry, reconnectDelay, resolveReconnectOptions } from './reconnect-policy.js'
import type { ResolvedReconnectOptions } from './reconnect-policy.js'
import type { StatusEvent } from './status.js'
import type { Transport } from './transports.js'

export type ClientState = 'connecting' | 'connected' | 'reconnecting' | 'closing' | 'closed'

export type HelloRequest = Extract<RequestBody, { type: 'hello' }>

/** What the keeper needs from the rest of the client. */
export interface ConnectionKeeperHooks {
  /** Every message the server sends, in order. */
  onMessage: (message: ServerMessage) => void
  /** True while the app holds too many undelivered items: the connection stops reading. */
  mustPause: () => boolean
  /** Sends `hello` on a new connection; resolves with the server's welcome. */
  login: (connection: ClientConnection, hello: HelloRequest, signal: AbortSignal) => Promise<WelcomeMessage>
  /** Logged in again after a loss: rejoin rooms, resume iterators, resend calls. */
  reconnected: (connection: ClientConnection) => void
  /** A connection ended (a lost one, or one whose login failed): what was bound to it fails or waits. */
  connectionLost: (connection: ClientConnection, error: ChatError) => void
  emit: (event: StatusEvent) => void
  /** Closed for good: `undefined` after a close, or the reason it gave up. Called once. */
  closed: (reason: ChatError | undefined) => void
}

/** Login refusals a retry can't fix: the client stops reconnecting. */
const FINAL_LOGIN_ERRORS: ReadonlySet<string> = new Set([
  ErrorCodes.AUTH_FAILED, ErrorCodes.INVALID_NAME, ErrorCodes.WEAK_PASSWORD,
  ErrorCodes.REGISTRATION_CLOSED, ErrorCodes.UNSUPPORTED_VERSION
])
/** Disconnects after which reconnecting would be wrong. */
const FINAL_DISCONNECTS: ReadonlySet<string> = new Set([ErrorCodes.SESSION_REPLACED])

/**
 * Keeps one logged-in connection up: opens a transport, logs in (presenting
 * the last session's token on a reconnect), and after an unexpected loss
 * tries again with backoff and jitter until it gets back in, is told a retry
 * can't help, or runs out of attempts; then the client is closed for good.
 */
export class ConnectionKeeper {
  private currentState: ClientState = 'connecting'
  private current: ClientConnection | undefined
  /** The server's token for this session: a reconnect presents it to replace a connection the server thinks alive. */
  private session: string | undefined
  private identity: { username: string, registered: boolean, server: ServerInfo } | undefined
  private readonly reconnectOptions: ResolvedReconnectOptions
  private readonly stopReconnecting = new AbortController()
  private readonly handler: ConnectionHandler

  constructor (
    private readonly address: URL,
    private readonly transport: Transport,
    private readonly options: ConnectOptions,
    private readonly hooks: ConnectionKeeperHooks
  ) {
    this.reconnectOptions = resolveReconnectOptions(options)
    this.handler = {
      onMessage: hooks.onMessage,
      mustPause: hooks.mustPause,
      onPause: () => { hooks.emit({ type: 'slow_consumer' }) },
      onClose: (connection, reason) => { this.connectionClosed(connection, reason) }
    }
  }

  get state (): ClientState {
    return this.currentState
  }

  /** The connection logged in now, if any. */
  get connection (): ClientConnection | undefined {
    return this.currentState === 'connected' ? this.current : undefined
  }

  /** The connection a new call can go out on now, if any (not one that said goodbye: the next one will take it). */
  get writableConnection (): ClientConnection | undefined {
    const connection = this.connection
    return connection?.isWritable === true ? connection : undefined
  }

  /** As the server named us at the last login ('' before). */
  get username (): string {
    return this.identity?.username ?? ''
  }

  get registered (): boolean {
    return this.identity?.registered ?? false
  }

  get server (): ServerInfo | undefined {
    return this.identity?.server
  }

  /** The app made room: the connection may read again. */
  readonly onSpace = (): void => { this.current?.onSpace() }

  /** The first connection and login; a failure is final (it is not retried). */
  async start (signal?: AbortSignal): Promise<void> {
    try {
      await this.open(0, signal)
    } catch (err) {
      this.terminate(err as ChatError)
      throw err
    }
  }

  /** Says goodbye: the client closes for good once the server has closed the connection (or at once without one). */
  close (): void {
    if (this.currentState === 'closed' || this.currentState === 'closing') return
    this.currentState = 'closing'
    this.stopReconnecting.abort()
    if (this.current !== undefined) this.current.close()
    else this.terminate(undefined)
  }

  /** Closes for good now, without waiting for the server: the connection is dropped with whatever it still had to send. */
  cut (): void {
    if (this.currentState === 'closed') return
    this.currentState = 'closing'
    this.stopReconnecting.abort()
    this.current?.destroy()
    this.terminate(undefined)
  }

  /** Opens a connection and logs in; on a reconnect the hooks then rejoin, resume and resend. */
  private async open (attempt: number, callerSignal?: AbortSignal): Promise<void> {
    // A connect or login that never answers (a black hole) must not stall reconnecting for good.
    // Reconnecting, the server's own heartbeat timeout says how long a live server may stay silent.
    const server = this.server
    const timeoutMs = this.options.connectTimeoutMs ??
      (attempt > 0 && server !== undefined ? Math.max(2_000, server.heartbeatTimeoutMs) : 10_000)
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = AbortSignal.any([timeout, this.stopReconnecting.signal, ...callerSignal === undefined ? [] : [callerSignal]])
    try {
      await this.openWithin(attempt, signal)
    } catch (err) {
      if (timeout.aborted && callerSignal?.aborted !== true) {
        throw new ChatError(ErrorCodes.TIMEOUT, `no answer from the server within ${timeoutMs} ms`, { cause: err })
      }
      throw err
    }
  }

  private async openWithin (attempt: number, signal: AbortSignal): Promise<void> {
    const duplex = await this.transport(this.address, { signal, tls: this.options.tls, maxFrameBytes: this.options.maxFrameBytes })
    const connection = new ClientConnection(duplex, {
      maxFrameBytes: this.options.maxFrameBytes ?? 64 * 1024,
      maxQueuedBytes: this.options.maxQueuedBytes ?? 8 * 1024 * 1024,
      closeTimeoutMs: this.options.closeTimeoutMs ?? 2_000
    }, this.handler)
    const { username, password, register } = this.options
    const hello: HelloRequest = { type: 'hello', v: PROTOCOL_VERSION, username }
    if (password !== undefined) hello.password = password
    if (register === true && attempt === 0) hello.register = true
    if (this.session !== undefined) hello.resume = this.session
    let welcome: WelcomeMessage
    try {
      welcome = await this.hooks.login(connection, hello, signal)
    } catch (err) {
      connection.abort(err as ChatError)
      throw err
    }
    if (this.currentState === 'closing' || this.currentState === 'closed') {
      connection.close()
      throw new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the client was closed')
    }
    this.session = welcome.session
    this.identity = {
      username: welcome.username,
      registered: welcome.registered,
      server: Object.freeze({
        version: welcome.v,
        heartbeatIntervalMs: welcome.heartbeatIntervalMs,
        heartbeatTimeoutMs: welcome.heartbeatTimeoutMs,
        maxFrameBytes: welcome.maxFrameBytes,
        maxTextBytes: welcome.maxTextBytes
      })
    }
    this.current = connection
    this.currentState = 'connected'
    connection.watchLiveness(welcome.heartbeatIntervalMs, welcome.heartbeatTimeoutMs)
    connection.pace(welcome)
    if (attempt > 0) {
      this.hooks.emit({ type: 'reconnect', attempt })
      this.hooks.reconnected(connection)
    }
  }

  private connectionClosed (connection: ClientConnection, reason: ChatError | undefined): void {
    this.hooks.connectionLost(connection, reason ?? new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the connection was closed'))
    if (connection !== this.current) return // a login attempt that failed: open() reports it
    this.current = undefined
    if (this.currentState === 'closing' || reason === undefined) {
      this.terminate(undefined)
    } else if (!this.reconnectOptions.reconnect || FINAL_DISCONNECTS.has(reason.code)) {
      this.terminate(reason)
    } else {
      this.currentState = 'reconnecting'
      this.hooks.emit({ type: 'disconnect', error: reason })
      void this.reconnect(reason)
    }
  }

  private async reconnect (lastError: ChatError): Promise<void> {
    let attempt = 1
    for (; mayRetry(this.reconnectOptions, attempt); attempt++) {
      const delayMs = reconnectDelay(this.reconnectOptions, attempt)
      this.hooks.emit({ type: 'reconnecting', attempt, delayMs })
      try {
        await sleep(delayMs, this.stopReconnecting.signal)
      } catch {
        return // closed meanwhile
      }
      if (this.currentState !== 'reconnecting') return
      try {
        await this.open(attempt)
        return
      } catch (err) {
        if (this.currentState !== 'reconnecting') return
        lastError = err instanceof ChatError ? err : new ChatError(ErrorCodes.CONNECT_FAILED, String(err), { cause: err })
        if (FINAL_LOGIN_ERRORS.has(lastError.code)) {
          this.terminate(lastError)
          return
        }
      }
    }
    this.terminate(new ChatError(ErrorCodes.RECONNECT_FAILED,
      `gave up reconnecting after ${attempt - 1} attempt(s): ${lastError.message}`, { cause: lastError }))
  }

  /** Closed for good: nothing reconnects any more. */
  private terminate (reason: ChatError | undefined): void {
    if (this.currentState === 'closed') return
    this.currentState = 'closed'
    this.stopReconnecting.abort()
    this.hooks.closed(reason)
  }
}
