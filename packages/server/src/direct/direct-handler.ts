import { ErrorCodes, isValidUsername } from '@chat/protocol'
import type { DirectMessage } from '@chat/protocol'
import type { IdempotencyKeys } from '../commit/idempotency-keys.js'
import type { MessageIntake } from '../commit/message-intake.js'
import { andThen } from '../maybe-promise.js'
import type { Engine } from '../engine/engine.js'
import type { ResolvedServerOptions } from '../options.js'
import { Session } from '../session/session.js'
import { conversationStream } from '../store/store.js'
import type { Store } from '../store/store.js'

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
    if (this.keys.answered(session, message.req, message.key, 'dm')) return
    const targetKey = message.to.toLowerCase()
    return andThen(this.engine.findUser(targetKey), online => {
      // Someone still receiving their offline inbox gets new messages through it, in order.
      const target = online instanceof Session && online.isActive && !online.drainingInbox ? online : undefined
      const account = target === undefined && this.options.authMode !== 'open' ? this.store.getAccount(targetKey) : undefined
      if (target === undefined && account === undefined) {
        if (this.options.authMode === 'open') {
          session.connection.refuse(message.req, ErrorCodes.USER_OFFLINE, `${message.to} is not connected`)
        } else {
          session.connection.refuse(message.req, ErrorCodes.NO_SUCH_USER, `no user is called ${message.to}`)
        }
        return
      }
      const stream = conversationStream(session.identity, target?.identity ?? targetKey)
      this.intake.accept(session, message.req, message.key, message.text, target !== undefined
        ? { stream, to: target.username, target }
        : { stream, to: account!.name, inboxFor: targetKey })
    })
  }
}
