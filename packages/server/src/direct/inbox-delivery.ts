import { encodeFrame } from '@chat/protocol'
import type { Engine } from '../engine/engine.js'
import { andThen } from '../maybe-promise.js'
import { drainPages } from '../history/paged-drain.js'
import { toChatMessage } from '../history/stored-message.js'
import type { ResolvedServerOptions } from '../options.js'
import type { FairScheduler } from '../routing/fair-scheduler.js'
import type { Session } from '../session/session.js'
import type { InboxEntry, Store } from '../store/store.js'

/** Inbox messages read per step of an inbox delivery. */
const INBOX_PAGE = 256

/**
 * What a session gets right after its welcome: the direct messages a
 * replaced session may have missed, and a registered user's offline inbox.
 */
export class InboxDelivery {
  constructor (
    private readonly options: ResolvedServerOptions,
    private readonly store: Store,
    private readonly engine: Engine,
    /** Inbox pages are read in the connection's turns (not paced: once per login). */
    private readonly scheduler: FairScheduler
  ) {}

  /** Called once a session is welcomed. */
  readonly loggedIn = (session: Session): void => {
    this.resendDirect(session)
    this.deliverInbox(session)
  }

  /** Direct messages of a resumed session, sent again (clients drop those they had: same sender, id and ts). */
  private resendDirect (session: Session): void {
    const frames = session.resentDirect
    session.resentDirect = undefined
    if (frames === undefined) return
    for (const frame of frames) session.sendDirect(frame)
  }

  /**
   * Direct messages kept while a registered user was away, in the order they
   * were sent, as fast as the client takes them. Direct messages arriving
   * meanwhile join the inbox; an empty read ends the delivery, in the same
   * step as new ones start going out live.
   */
  private deliverInbox (session: Session): void {
    if (!session.registered) return
    session.drainingInbox = true
    drainPages<InboxEntry>(session.connection, Math.floor(this.options.maxQueuedBytes / 4), {
      read: () => {
        this.engine.flush() // messages still being written for this user belong in the inbox now
        const inboxed = session.inboxedWhileDraining
        return andThen(this.store.readInbox(session.userKey, INBOX_PAGE), page => {
          if (page.length > 0) return page
          // A read that answered later missed what chose the inbox meanwhile: read again (it is flushed first).
          if (session.inboxedWhileDraining !== inboxed) return page
          session.drainingInbox = false
          return undefined
        })
      },
      send: entry => { session.send(encodeFrame(toChatMessage(entry.message), this.options.maxFrameBytes)) },
      // Handed to the connection: an inbox delivers at most once (history keeps every message).
      sent: (page, sent) => sent === 0 ? false : andThen(this.store.removeInbox(session.userKey, page[sent - 1].seq), () => false)
    }, { scheduler: this.scheduler })
      // What was not handed over stays in the inbox for the next login.
      .catch(err => { this.options.logger.error(`delivering ${session.username}'s inbox failed: ${String(err)}`) })
      .finally(() => { session.drainingInbox = false })
  }
}
