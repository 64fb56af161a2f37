import type { Connection } from '../connection/connection.js'
import type { OnlineUser } from '../engine/engine.js'
import type { TypingEntry } from '../typing/typing-board.js'
import { RecentDirect } from './recent-direct.js'

export interface SessionIdentity {
  /** As the user wrote it (display case). */
  username: string
  /** Lower-cased username, the key it is unique under. */
  userKey: string
  /** Logged in to a registered account (not a guest name). */
  registered: boolean
  /**
   * Who this user is in stored direct conversations: the user key for a
   * registered account; for a guest, a key of this session only, so a later
   * guest with the same name can't read its direct messages.
   */
  identity: string
  /** Token a reconnecting client presents (`hello.resume`) to take this session over. */
  token: string
  /**
   * Whose idempotency keys these are: a registered user's are the account's
   * (its user key); a guest's are its session's, carried across reconnects
   * and restarts by the token (`session-token.ts`), never a later guest's.
   */
  keyScope: string
}

/**
 * A logged-in user on one connection: who they are, the rooms they are in,
 * and what a resume must carry over. The connection under it only reads,
 * writes and queues; everything about the user is here.
 */
export class Session implements OnlineUser {
  readonly username: string
  readonly userKey: string
  readonly registered: boolean
  readonly identity: string
  readonly token: string
  readonly keyScope: string
  /** Rooms this session is a member of. */
  readonly rooms = new Set<string>()
  /** Its offline inbox is being delivered: new direct messages join the inbox, to keep their order. */
  drainingInbox = false
  /** Direct messages put in its inbox while it was delivered: a delivery whose empty read came later reads again if this moved. */
  inboxedWhileDraining = 0
  /**
   * Where this user is typing (the typing board's entries, by room or
   * recipient); undefined while nowhere, so a send checks only this.
   */
  typing: Map<string, TypingEntry> | undefined = undefined
  /** Direct messages to send again right after the welcome, taken from the session this one replaced. */
  resentDirect: Uint8Array[] | undefined
  // Made on the first direct message: most sessions never get one.
  private recent: RecentDirect | undefined

  constructor (
    readonly connection: Connection,
    who: SessionIdentity,
    private readonly recentHorizonMs: number,
    /** Its hello accepted `msgs`: a room's live messages reach it as runs (PROTOCOL.md §10). */
    readonly acceptsRuns = false
  ) {
    this.username = who.username
    this.userKey = who.userKey
    this.registered = who.registered
    this.identity = who.identity
    this.token = who.token
    this.keyScope = who.keyScope
  }

  /** False once its connection is ending: nothing more should be routed to it. */
  get isActive (): boolean {
    return !this.connection.closing
  }

  /** Queues already-framed bytes on the connection. */
  send (frame: Uint8Array): void {
    this.connection.sendFrame(frame)
  }

  /** Queues a direct message, and remembers it for a resume. */
  sendDirect (frame: Uint8Array): void {
    if (this.connection.closing) return
    (this.recent ??= new RecentDirect(this.recentHorizonMs)).remember(frame)
    this.connection.sendFrame(frame)
  }

  /** The direct messages handed to this session lately, in order (for the session taking it over). */
  takeRecentDirect (): Uint8Array[] {
    return this.recent?.take() ?? []
  }
}
