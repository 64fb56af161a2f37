import { randomBytes } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { ErrorCodes, isValidUsername, PROTOCOL_VERSION } from '@chat/protocol'
import type { HelloMessage } from '@chat/protocol'
import type { Connection } from '../connection/connection.js'
import { andThen } from '../maybe-promise.js'
import type { Engine, OnlineUser } from '../engine/engine.js'
import type { LimitCounters } from '../limits/limit-counters.js'
import { announcedRates } from '../limits/limit-options.js'
import type { ResolvedServerOptions } from '../options.js'
import type { Store } from '../store/store.js'
import { LoginThrottle } from './login-throttle.js'
import { logout } from './logout.js'
import { hashPassword, verifyPassword } from './password-hasher.js'
import { RegistrationLimit } from './registration-limit.js'
import { Session } from './session.js'
import { lineageOf, newLineage, newSessionToken } from './session-token.js'
import { ServerCounters } from '../ops/server-counters.js'

const MIN_PASSWORD_LENGTH = 8
const MAX_PASSWORD_LENGTH = 1024

/**
 * `hello`: version check, name rules, uniqueness, and — by auth mode —
 * registering an account or checking its password. Password work is async
 * (scrypt), so the connection's next requests wait until the login is decided
 * (its pings are still answered). Password checks are throttled per account
 * and per address (`LoginThrottle`), registrations per address.
 * A login makes the connection's `Session`; a resume takes an older
 * session's place (its rooms, its direct messages in question).
 */
export class LoginHandler {
  private readonly throttle = new LoginThrottle()
  private readonly registrations: RegistrationLimit
  /** What every welcome says of the connection's rate limits. */
  private readonly rates: ReturnType<typeof announcedRates>

  constructor (
    private readonly options: ResolvedServerOptions,
    private readonly store: Store,
    private readonly engine: Engine,
    /** Called once a session is logged in and welcomed. */
    private readonly onLogin: (session: Session) => void,
    private readonly limits: LimitCounters,
    private readonly counters: ServerCounters = new ServerCounters()
  ) {
    this.rates = announcedRates(options.rateLimits)
    this.registrations = new RegistrationLimit(options.registrationsPerHour)
  }

  /** A `hello`: logged in and welcomed, or refused (counted either way). */
  login (connection: Connection, hello: HelloMessage): void | Promise<void> {
    const loggedInBefore = connection.session
    return andThen(this.attempt(connection, hello), () => {
      if (connection.session !== undefined && connection.session !== loggedInBefore) this.counters.loginsSucceeded++
      else this.counters.loginsFailed++
    })
  }

  private attempt (connection: Connection, hello: HelloMessage): void | Promise<void> {
    if (hello.v !== PROTOCOL_VERSION) {
      connection.fail(ErrorCodes.UNSUPPORTED_VERSION, `this server speaks protocol version ${PROTOCOL_VERSION}`, false, hello.req)
      return
    }
    if (connection.session !== undefined) {
      connection.refuse(hello.req, ErrorCodes.ALREADY_LOGGED_IN, `already logged in as ${connection.session.username}`)
      return
    }
    if (!isValidUsername(hello.username)) {
      connection.refuse(hello.req, ErrorCodes.INVALID_NAME, 'a username is 1-32 letters, digits, "_", "-" or "." and does not start with "-" or "."')
      return
    }
    const key = hello.username.toLowerCase()
    return andThen(this.engine.findUser(key), holder => {
      if (inUse(holder, hello)) {
        connection.refuse(hello.req, ErrorCodes.NAME_TAKEN, `the name ${hello.username} is in use`)
        return
      }
      if (this.options.authMode === 'open') {
        if (hello.register === true) {
          connection.refuse(hello.req, ErrorCodes.REGISTRATION_CLOSED, 'this server has no accounts (auth mode open)')
          return
        }
        return this.complete(connection, hello, hello.username, false)
      }
      // The common guest case stays synchronous (with a store that answers at once): no password, so nothing to slow down.
      if (hello.register !== true && hello.password === undefined && this.options.authMode === 'accounts') {
        return andThen(this.store.getAccount(key), account => account === undefined
          ? this.complete(connection, hello, hello.username, false)
          : this.authenticate(connection, hello, key))
      }
      return this.authenticate(connection, hello, key)
    })
  }

  private async authenticate (connection: Connection, hello: HelloMessage, key: string): Promise<void> {
    const registering = hello.register === true
    const address = connection.address
    if (registering) {
      const waitMs = this.registrations.take(address)
      if (waitMs > 0) {
        this.rateLimited(connection, hello.req, waitMs, `no more than ${this.options.registrationsPerHour} registrations an hour from one address`)
        return
      }
    }
    const attempt = this.throttle.begin(key, address)
    if (attempt.retryAfterMs !== undefined) {
      if (registering) this.registrations.giveBack(address)
      this.rateLimited(connection, hello.req, attempt.retryAfterMs, `too many failed logins for ${hello.username}, or from this address`)
      return
    }
    let outcome: 'created' | 'refused' | 'failed' | 'in' = 'failed'
    try {
      if (attempt.delayMs > 0) await sleep(attempt.delayMs, undefined, { signal: connection.signal })
      if (connection.closing) return
      outcome = registering ? await this.register(connection, hello, key) : await this.checkPassword(connection, hello, key)
    } catch (err) {
      if (connection.closing) return // gave up waiting: the client has gone
      throw err
    } finally {
      attempt.finish(outcome === 'failed')
      if (registering && outcome !== 'created') this.registrations.giveBack(address)
    }
  }

  private rateLimited (connection: Connection, req: number, retryAfterMs: number, message: string): void {
    this.limits.rateLimited++
    connection.send({ type: 'error', re: req, code: ErrorCodes.RATE_LIMITED, message, retryAfterMs })
  }

  /** `in` if the password was right (whatever happened next), else `failed`. */
  private async checkPassword (connection: Connection, hello: HelloMessage, key: string): Promise<'in' | 'failed'> {
    const account = await this.store.getAccount(key)
    if (account === undefined) {
      // `required`: only accounts; `accounts`: a password for a name nobody registered is a mistake worth telling.
      connection.refuse(hello.req, ErrorCodes.AUTH_FAILED, this.options.authMode === 'required'
        ? 'this server only admits registered users: register first'
        : `${hello.username} is not registered: log in without a password, or register`)
      return 'failed'
    }
    const password = hello.password
    if (password === undefined || !await verifyPassword(password, account.passwordHash)) {
      this.options.logger.warn(`failed login for ${account.name} from ${connection.remoteAddress}`)
      connection.refuse(hello.req, ErrorCodes.AUTH_FAILED, password === undefined ? `${account.name} is registered: a password is needed` : 'wrong password')
      return 'failed'
    }
    await this.complete(connection, hello, account.name, true)
    return 'in'
  }

  /** `created`, `refused` (a weak password, a name taken meanwhile), or `failed` (a name registered already: probing). */
  private async register (connection: Connection, hello: HelloMessage, key: string): Promise<'created' | 'refused' | 'failed'> {
    const password = hello.password
    if (password === undefined || password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
      connection.refuse(hello.req, ErrorCodes.WEAK_PASSWORD, `a password is ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters`)
      return 'refused'
    }
    if (await this.store.getAccount(key) !== undefined) {
      connection.refuse(hello.req, ErrorCodes.NAME_TAKEN, `${hello.username} is registered already`)
      return 'failed'
    }
    const passwordHash = await hashPassword(password)
    if (connection.closing) return 'refused'
    // The name may have been taken while hashing (a guest logged in): create nothing then.
    if (inUse(await this.engine.findUser(key), hello) || !await this.store.createAccount(key, { name: hello.username, passwordHash, createdAt: Date.now() })) {
      connection.refuse(hello.req, ErrorCodes.NAME_TAKEN, `${hello.username} is in use or registered already`)
      return 'refused'
    }
    this.counters.registrations++
    this.options.logger.info(`${hello.username} registered from ${connection.remoteAddress}`)
    await this.complete(connection, hello, hello.username, true)
    return 'created'
  }

  private complete (connection: Connection, hello: HelloMessage, name: string, registered: boolean): void | Promise<void> {
    if (connection.closing) return
    const key = name.toLowerCase()
    const { heartbeatIntervalMs, heartbeatTimeoutMs } = this.options
    // The token presented carries the session's lineage on, whether or not its connection is still here.
    const lineage = lineageOf(hello.resume) ?? newLineage()
    const token = newSessionToken(lineage)
    const accepts = hello.accept?.includes('msgs') === true
    const create = (replacing: OnlineUser | undefined): Session => new Session(connection, {
      username: name,
      userKey: key,
      registered,
      // A guest that resumes keeps its session's identity, so its direct conversations carry on.
      identity: registered ? key : (replacing?.identity ?? `${key}~${randomBytes(6).toString('base64url')}`),
      token,
      keyScope: registered ? key : `${key}~${lineage}`
    }, heartbeatTimeoutMs + heartbeatIntervalMs, accepts)
    // Someone may have taken the name while the password was being checked.
    return andThen(this.engine.claimName(key, hello.resume, create), claim => {
      if (claim === undefined) {
        connection.refuse(hello.req, ErrorCodes.NAME_TAKEN, `the name ${name} is in use`)
        return
      }
      const { session, replaced } = claim
      if (replaced !== undefined) {
        // The client says it is this session's owner, reconnecting before the server saw the old connection die.
        // Ending it commits what is on its way first (a direct message to it is handed to it then). That
        // connection may have been dead for a while (a half-open socket): what it was handed lately goes again,
        // after the welcome. Rooms need nothing: the client replays them from its last id.
        replaced.connection.fail(ErrorCodes.SESSION_REPLACED, 'you logged in again from another connection')
        session.resentDirect = replaced.takeRecentDirect()
      }
      connection.session = session
      // A claim that took a round trip (a shared engine) may end after its connection did.
      if (connection.isClosed) logout(this.engine, connection)
      if (connection.closing) return
      this.options.logger.info(`${name} logged in${registered ? '' : ' as a guest'} from ${connection.remoteAddress}`)
      connection.send({
        type: 'welcome',
        v: PROTOCOL_VERSION,
        re: hello.req,
        username: name,
        heartbeatIntervalMs,
        heartbeatTimeoutMs,
        maxFrameBytes: this.options.maxFrameBytes,
        maxTextBytes: this.options.maxTextBytes,
        registered,
        session: session.token,
        ...this.rates
      })
      this.onLogin(session)
    })
  }
}

/** Held by a session the hello can't replace (no matching `resume` token). */
function inUse (holder: OnlineUser | undefined, hello: HelloMessage): boolean {
  return holder !== undefined && (hello.resume === undefined || holder.token !== hello.resume)
}
