import { DEFAULT_MAX_FRAME_BYTES, ErrorCodes, MAX_RUN_BYTES, PROTOCOL_VERSION } from '@chat/protocol'
import type { ServerMessage, WelcomeMessage } from '@chat/protocol'
import type { RequestBody } from './call-table.js'
import { sleep } from './abortable.js'
import { ChatError } from './chat-error.js'
import { ClientConnection } from './client-connection.js'
import type { ConnectionHandler } from './client-connection.js'
import type { ServerInfo } from './client-types.js'
import type { ConnectOptions } from './options.js'
import { mayRetry, reconnectAddress, reconnectDelay, resolveReconnectOptions } from './reconnect-policy.js'

/** The server message types beyond v1's plain ones this SDK reads (`hello.accept`). */
const ACCEPTED = ['msgs']
import type { ResolvedReconnectOptions } from './reconnect-policy.js'
import type { ServerAddress } from './server-addresses.js'
import type { StatusEvent } from './status.js'

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
 * First-connect failures that another address of the same service would
 * give too (a refusal of the login, the caller's abort): no next address is tried.
 */
const FINAL_FIRST_CONNECT: ReadonlySet<string> = new Set([
  ...FINAL_LOGIN_ERRORS, ErrorCodes.NAME_TAKEN, ErrorCodes.RATE_LIMITED, ErrorCodes.ABORTED
])

/**
 * Keeps one logged-in connection up: opens a transport, logs in (presenting
 * the last session's token on a reconnect), and after an unexpected loss
 * tries again, the next address first and with backoff and jitter once every
 * address failed, until it gets back in, is told a retry can't help, or runs
 * out of attempts; then the client is closed for good.
 */
export class ConnectionKeeper {
  private currentState: ClientState = 'connecting'
  private current: ClientConnection | undefined
  /** Which of `addresses` the client is logged in to (or was last). */
  private index = 0
  /** The server's token for this session: a reconnect presents it to replace a connection the server thinks alive. */
  private session: string | undefined
  private identity: { username: string, registered: boolean, server: ServerInfo } | undefined
  private readonly reconnectOptions: ResolvedReconnectOptions
  private readonly stopReconnecting = new AbortController()
  private readonly handler: ConnectionHandler

  constructor (
    private readonly addresses: readonly ServerAddress[],
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

  /** The address of the server logged in to now, or last (while reconnecting); the first address before. */
  get url (): string {
    return this.addresses[this.index].url.href
  }

  /** The app made room: the connection may read again. */
  readonly onSpace = (): void => { this.current?.onSpace() }

  /**
   * The first connection and login: each address in turn, once, until one
   * logs us in. A refusal, or every address failing, is final (not retried).
   */
  async start (signal?: AbortSignal): Promise<void> {
    const failures: ChatError[] = []
    for (let index = 0; ; index++) {
      try {
        await this.open(0, index, signal)
        return
      } catch (err) {
        const error = asChatError(err)
        failures.push(error)
        if (index + 1 < this.addresses.length && !FINAL_FIRST_CONNECT.has(error.code) && signal?.aborted !== true) continue
        // One failure is reported as it came (as with one address); several, together.
        const reason = failures.length === 1 || FINAL_FIRST_CONNECT.has(error.code) ? err : this.noneReached(failures)
        this.terminate(reason as ChatError)
        throw reason
      }
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

  /** Every address failed at the first connect: the last one's code, and what each said. */
  private noneReached (failures: ChatError[]): ChatError {
    const last = failures[failures.length - 1]
    const each = failures.map((error, i) => {
      const url = this.addresses[i].url.href
      return error.message.includes(url) ? error.message : `${url}: ${error.message}`
    })
    return new ChatError(last.code, `none of the ${failures.length} servers could be reached: ${each.join('; ')}`, { cause: last })
  }

  /** Opens a connection to address `index` and logs in; on a reconnect the hooks then rejoin, resume and resend. */
  private async open (attempt: number, index: number, callerSignal?: AbortSignal): Promise<void> {
    // A connect or login that never answers (a black hole) must not stall reconnecting for good.
    // Reconnecting, the server's own heartbeat timeout says how long a live server may stay silent.
    const server = this.server
    const timeoutMs = this.options.connectTimeoutMs ??
      (attempt > 0 && server !== undefined ? Math.max(2_000, server.heartbeatTimeoutMs) : 10_000)
    const timeout = AbortSignal.timeout(timeoutMs)
    const signal = AbortSignal.any([timeout, this.stopReconnecting.signal, ...callerSignal === undefined ? [] : [callerSignal]])
    try {
      await this.openWithin(attempt, index, signal)
    } catch (err) {
      if (timeout.aborted && callerSignal?.aborted !== true) {
        throw new ChatError(ErrorCodes.TIMEOUT, `no answer from the server within ${timeoutMs} ms`, { cause: err })
      }
      throw err
    }
  }

  private async openWithin (attempt: number, index: number, signal: AbortSignal): Promise<void> {
    const { url, transport } = this.addresses[index]
    const duplex = await transport(url, { signal, tls: this.options.tls, maxFrameBytes: this.options.maxFrameBytes })
    const maxFrameBytes = this.options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES
    const connection = new ClientConnection(duplex, {
      maxFrameBytes,
      maxQueuedBytes: this.options.maxQueuedBytes ?? 8 * 1024 * 1024,
      closeTimeoutMs: this.options.closeTimeoutMs ?? 2_000
    }, this.handler)
    const { username, password, register } = this.options
    const hello: HelloRequest = { type: 'hello', v: PROTOCOL_VERSION, username }
    // Runs of room messages (PROTOCOL.md §10): the same messages in about half the bytes, in frames up to MAX_RUN_BYTES.
    if (maxFrameBytes >= MAX_RUN_BYTES) hello.accept = ACCEPTED
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
    this.index = index
    this.currentState = 'connected'
    connection.watchLiveness(welcome.heartbeatIntervalMs, welcome.heartbeatTimeoutMs)
    connection.pace(welcome)
    if (attempt > 0) {
      this.hooks.emit({ type: 'reconnect', attempt, url: url.href })
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
      this.hooks.emit({ type: 'disconnect', error: reason, url: this.url })
      void this.reconnect(reason, this.index)
    }
  }

  /** Attempts round robin over the addresses, starting after `lost` (see reconnect-policy.ts). */
  private async reconnect (lastError: ChatError, lost: number): Promise<void> {
    const addresses = this.addresses.length
    let attempt = 1
    for (; mayRetry(this.reconnectOptions, attempt, addresses); attempt++) {
      const index = reconnectAddress(lost, attempt, addresses)
      const delayMs = reconnectDelay(this.reconnectOptions, attempt, addresses)
      this.hooks.emit({ type: 'reconnecting', attempt, delayMs, url: this.addresses[index].url.href })
      try {
        await sleep(delayMs, this.stopReconnecting.signal)
      } catch {
        return // closed meanwhile
      }
      if (this.currentState !== 'reconnecting') return
      try {
        await this.open(attempt, index)
        return
      } catch (err) {
        if (this.currentState !== 'reconnecting') return
        lastError = asChatError(err)
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

function asChatError (err: unknown): ChatError {
  return err instanceof ChatError ? err : new ChatError(ErrorCodes.CONNECT_FAILED, String(err), { cause: err })
}
