import { ErrorCodes, isValidUsername } from '@chat/protocol'
import type { DirectMessage } from '@chat/protocol'
import type { IdempotencyKeys } from '../commit/idempotency-keys.js'
import type { MessageIntake } from '../commit/message-intake.js'
import { andThen } from '../maybe-promise.js'
import type { Engine, OnlineUser, RemoteUser } from '../engine/engine.js'
import type { ResolvedServerOptions } from '../options.js'
import { Session } from '../session/session.js'
import { conversationStream } from '../store/store.js'
import type { Account, Store } from '../store/store.js'

/**
 * `dm`: to someone online, handed over at commit; to a registered user who
 * is offline, kept in their inbox for their next login; to anyone else,
 * refused (`no_such_user`, or `user_offline` on a server without accounts).
 * Either way it is stored in the pair's conversation, which has its own ids.
 */
export class DirectHandler {
  constructor (
    private readonly options: ResolvedServerOptions,
    private readonly store: Store,
    private readonly engine: Engine,
    private readonly keys: IdempotencyKeys,
    private readonly intake: MessageIntake
  ) {}

  send (session: Session, message: DirectMessage): void | Promise<void> {
    if (!isValidUsername(message.to)) {
      session.connection.refuse(message.req, ErrorCodes.INVALID_NAME, `${JSON.stringify(message.to.slice(0, 40))} is not a valid username`)
      return
    }
    const answered = this.keys.answered(session, message.req, message.key, 'dm')
    if (answered instanceof Promise) return answered.then(done => done ? undefined : this.route(session, message))
    if (!answered) return this.route(session, message)
  }

  /** To the target online here, or to a registered user's inbox, or refused. */
  private route (session: Session, message: DirectMessage): void | Promise<void> {
    const targetKey = message.to.toLowerCase()
    return andThen(this.engine.findUser(targetKey), online => {
      if (liveTarget(online) !== undefined || isRemote(online) || this.options.authMode === 'open') return this.deliver(session, message, targetKey, online, undefined)
      return andThen(this.store.getAccount(targetKey), account => this.deliver(session, message, targetKey, online, account))
    })
  }

  private deliver (session: Session, message: DirectMessage, targetKey: string, online: OnlineUser | undefined, account: Account | undefined): void {
    // Decided now: an inbox delivery may have ended while the account was read.
    const target = liveTarget(online)
    if (target !== undefined) {
      this.intake.accept(session, message.req, message.key, message.text, { stream: conversationStream(session.identity, target.identity), to: target.username, target })
      return
    }
    if (isRemote(online)) {
      // Online on another server of the cluster: the commit publishes it to that server.
      this.intake.accept(session, message.req, message.key, message.text, { stream: conversationStream(session.identity, online.identity), to: online.username, targetNode: online.node, targetKey: online.userKey })
      return
    }
    if (account === undefined) {
      if (this.options.authMode === 'open') {
        session.connection.refuse(message.req, ErrorCodes.USER_OFFLINE, `${message.to} is not connected`)
      } else {
        session.connection.refuse(message.req, ErrorCodes.NO_SUCH_USER, `no user is called ${message.to}`)
      }
      return
    }
    // The inbox being delivered must read again before it ends (see InboxDelivery).
    if (online instanceof Session && online.drainingInbox) online.inboxedWhileDraining++
    this.intake.accept(session, message.req, message.key, message.text, { stream: conversationStream(session.identity, targetKey), to: account.name, inboxFor: targetKey })
  }
}

/** Someone online on another server of the cluster. */
function isRemote (online: OnlineUser | undefined): online is RemoteUser {
  return online !== undefined && !(online instanceof Session) && typeof (online as Partial<RemoteUser>).node === 'string'
}

/** Someone online here, and not still receiving their offline inbox (new messages go through it then, in order). */
function liveTarget (online: OnlineUser | undefined): Session | undefined {
  return online instanceof Session && online.isActive && !online.drainingInbox ? online : undefined
}
