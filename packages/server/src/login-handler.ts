import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCodes, isValidUsername, PROTOCOL_VERSION } from '@chat/protocol'
import type { HelloMessage } from '@chat/protocol'
import type { Connection } from './connection.js'
import { LoginThrottle } from './login-throttle.js'
import type { OnlineUsers } from './online-users.js'
import type { ResolvedServerOptions } from './options.js'
import { hashPassword, verifyPassword } from './password-hasher.js'
import type { Store } from './store/store.js'

export const MIN_PASSWORD_LENGTH = 8
export const MAX_PASSWORD_LENGTH = 1024

/**
 * `hello`: version check, name rules, uniqueness, and — by auth mode —
 * registering an account or checking its password. Password work is async
 * (scrypt), so the connection's reading pauses until the login is decided.
 */
export class LoginHandler {
  private readonly throttle = new LoginThrottle()

  constructor (
    private readonly options: ResolvedServerOptions,
    private readonly store: Store,
    private readonly users: OnlineUsers,
    /** Called once a connection is logged in and welcomed. */
    private readonly onLogin: (connection: Connection) => void,
    /** Called when a connection takes the place of an older one of the same session. */
    private readonly onReplace: (old: Connection, replacement: Connection) => void
  ) {}

  login (connection: Connection, hello: HelloMessage): Promise<void> | undefined {
    if (hello.v !== PROTOCOL_VERSION) {
      connection.fail(ErrorCodes.UNSUPPORTED_VERSION, `this server speaks protocol version ${PROTOCOL_VERSION}`, false, hello.req)
      return
    }
    if (connection.username !== undefined) {
      connection.refuse(hello.req, ErrorCodes.ALREADY_LOGGED_IN, `already logged in as ${connection.username}`)
      return
    }
    if (!isValidUsername(hello.username)) {
      connection.refuse(hello.req, ErrorCodes.INVALID_NAME, 'a username is 1-32 letters, digits, "_", "-" or "." and does not start with "-" or "."')
      return
    }
    const key = hello.username.toLowerCase()
    if (this.inUse(key, hello)) {
      connection.refuse(hello.req, ErrorCodes.NAME_TAKEN, `the name ${hello.username} is in use`)
      return
    }
    if (this.options.authMode === 'open') {
      if (hello.register === true) {
        connection.refuse(hello.req, ErrorCodes.REGISTRATION_CLOSED, 'this server has no accounts (auth mode open)')
        return
      }
      this.complete(connection, hello, hello.username, false)
      return
    }
    if (hello.register !== true && hello.password === undefined) {
      // The common guest case stays synchronous: no password, so nothing to slow down.
      const account = this.store.getAccount(key)
      if (account === undefined && this.options.authMode === 'accounts') {
        this.complete(connection, hello, hello.username, false)
        return
      }
    }
    return this.authenticate(connection, hello, key)
  }

  /** In use by a connection the hello can't replace (no matching `resume` token). */
  private inUse (key: string, hello: HelloMessage): boolean {
    const current = this.users.get(key)
    return current !== undefined && (hello.resume === undefined || current.session !== hello.resume)
  }

  private async authenticate (connection: Connection, hello: HelloMessage, key: string): Promise<void> {
    const attempt = this.throttle.begin(key, connection.remoteHost)
    let failed = true
    try {
      if (attempt.delayMs > 0) await sleep(attempt.delayMs, undefined, { signal: connection.signal })
      if (connection.closing) return
      failed = hello.register === true
        ? !await this.register(connection, hello, key)
        : !await this.checkPassword(connection, hello, key)
    } catch (err) {
      if (connection.closing) return // gave up waiting: the client has gone
      throw err
    } finally {
      attempt.finish(failed)
    }
  }

  /** True if the password was right (whatever happened next). */
  private async checkPassword (connection: Connection, hello: HelloMessage, key: string): Promise<boolean> {
    const account = this.store.getAccount(key)
    if (account === undefined) {
      // `required`: only accounts; `accounts`: a password for a name nobody registered is a mistake worth telling.
      connection.refuse(hello.req, ErrorCodes.AUTH_FAILED, this.options.authMode === 'required'
        ? 'this server only admits registered users: register first'
        : `${hello.username} is not registered: log in without a password, or register`)
      return false
    }
    const password = hello.password
    if (password === undefined || !await verifyPassword(password, account.passwordHash)) {
      this.options.logger.warn(`failed login for ${account.name} from ${connection.remoteAddress}`)
      connection.refuse(hello.req, ErrorCodes.AUTH_FAILED, password === undefined ? `${account.name} is registered: a password is needed` : 'wrong password')
      return false
    }
    this.complete(connection, hello, account.name, true)
    return true
  }

  /** True unless the attempt should count as a failure (a name already registered: probing). */
  private async register (connection: Connection, hello: HelloMessage, key: string): Promise<boolean> {
    const password = hello.password
    if (password === undefined || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
      connection.refuse(hello.req, ErrorCodes.WEAK_PASSWORD, `a password is ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters`)
      return true
    }
    if (this.store.getAccount(key) !== undefined) {
      connection.refuse(hello.req, ErrorCodes.NAME_TAKEN, `${hello.username} is registered already`)
      return false
    }
    const passwordHash = await hashPassword(password)
    if (connection.closing) return true
    // The name may have been taken while hashing (a guest logged in): create nothing then.
    if (this.inUse(key, hello) || !this.store.createAccount(key, { name: hello.username, passwordHash, createdAt: Date.now() })) {
      connection.refuse(hello.req, ErrorCodes.NAME_TAKEN, `${hello.username} is in use or registered already`)
      return true
    }
    this.options.logger.info(`${hello.username} registered from ${connection.remoteAddress}`)
    this.complete(connection, hello, hello.username, true)
    return true
  }

  private complete (connection: Connection, hello: HelloMessage, name: string, registered: boolean): void {
    const key = name.toLowerCase()
    // Someone may have taken the name while the password was being checked.
    if (connection.closing) return
    if (this.inUse(key, hello)) {
      connection.refuse(hello.req, ErrorCodes.NAME_TAKEN, `the name ${name} is in use`)
      return
    }
    const replaced = this.users.get(key)
    if (replaced !== undefined) {
      // The client says it is this session's owner, reconnecting before the server saw the old connection die.
      this.users.remove(replaced)
      this.onReplace(replaced, connection)
      replaced.fail(ErrorCodes.SESSION_REPLACED, 'you logged in again from another connection')
    }
    connection.username = name
    connection.userKey = key
    connection.registered = registered
    // A guest that resumes keeps its session's identity, so its direct conversations carry on.
    connection.identity = registered ? key : (replaced?.identity ?? `${key}~${randomBytes(6).toString('base64url')}`)
    connection.session = randomBytes(16).toString('base64url')
    this.users.add(connection)
    this.options.logger.info(`${name} logged in${registered ? '' : ' as a guest'} from ${connection.remoteAddress}`)
    connection.send({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      re: hello.req,
      username: name,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
      maxFrameBytes: this.options.maxFrameBytes,
      maxTextBytes: this.options.maxTextBytes,
      registered,
      session: connection.session
    })
    this.onLogin(connection)
  }
}
