import { ChatError, ErrorCodes, WhoIsTyping } from '@chat/client'
import type { ChatClient, ChatEvent, ChatMessage, PresenceEvent, ReadMarker, RoomInfo, StatusEvent } from '@chat/client'
import type { Params, StringKey } from '@chat/strings'
import { Conversation, directKey, roomKey } from './conversation.js'
import type { ConversationKey } from './conversation.js'

/** What the page says about the connection (the words are the UI's). */
export type ConnectionState =
  | { type: 'online' }
  | { type: 'reconnecting', code: string, attempt: number }
  | { type: 'back' }
  | { type: 'closed', code: string | undefined }

/** A line for the person: a string of the catalogue, or what an error code means. */
export type Notice = ({ key: StringKey, params?: Params } | { code: string }) & { id: number }

export interface SessionOptions {
  /** Messages per history page: the newest on joining or opening, then each page back. Default 50. */
  historyPage?: number
  /** How often the room list is read again besides after presence changes (ms). Default 30 000. */
  roomsEveryMs?: number
  /** How long "Back online." stays (ms). Default 4 000. */
  backOnlineMs?: number
  /** How long a notice stays unless dismissed (ms). Default 10 000. */
  noticeMs?: number
  /** Told the rooms we are in after each join and leave (a registered user's page joins them again at the next login). */
  rememberRooms?: (rooms: readonly string[]) => void
}

/**
 * One person's chat in the page, over a connected client: the rooms and
 * conversations, who is in each room, what is unread, and the connection,
 * kept up to date from the client's iterators. Knows nothing of the DOM: the
 * components read it and call its methods; `subscribe` says when it changed.
 *
 * The terminal client's behaviour: the last messages of a room on joining,
 * replies to whoever wrote last, and our own direct messages shown once the
 * server acknowledged them (it does not send them back to their sender).
 */
export class ChatSession {
  readonly conversations = new Map<ConversationKey, Conversation>()
  /** Every room on the server with how many are in it, as last read. */
  rooms: RoomInfo[] = []
  /** The rooms we are in, in the order we joined them. */
  readonly joined: string[] = []
  /** Who is in each room we are in, sorted. */
  readonly members = new Map<string, string[]>()
  /** The open conversation, where typed lines go. */
  current: ConversationKey | undefined
  /** Whoever sent us the last direct message. */
  lastDirectFrom: string | undefined
  connection: ConnectionState = { type: 'online' }
  notice: Notice | undefined
  /** Who is typing where. */
  readonly typists = new WhoIsTyping(() => { this.changed() })

  private readonly options: Required<Omit<SessionOptions, 'rememberRooms'>> & Pick<SessionOptions, 'rememberRooms'>
  /** The page is in front and focused: what the open conversation shows is read. */
  private focused = false
  /** The open conversation is scrolled to its newest messages (not up in older ones): only then are new ones read. */
  private atNewest = true
  /** Unread counts come from the server's read markers (a registered user on a server that keeps them); else they are counted here. */
  private markers: boolean
  private readonly listeners = new Set<() => void>()
  /** Rooms whose join is under way: their messages are kept already. */
  private readonly joining = new Set<string>()
  private pendingIds = 0
  private noticeIds = 0
  private roomsTimer: ReturnType<typeof setInterval> | undefined
  private roomsSoon: ReturnType<typeof setTimeout> | undefined
  private backTimer: ReturnType<typeof setTimeout> | undefined
  private noticeTimer: ReturnType<typeof setTimeout> | undefined
  private ended = false

  constructor (readonly client: ChatClient, options: SessionOptions = {}) {
    this.options = { historyPage: 50, roomsEveryMs: 30_000, backOnlineMs: 4_000, noticeMs: 10_000, ...options }
    this.markers = client.registered
  }

  get me (): string {
    return this.client.username
  }

  /** Follows what arrives until the client closes. */
  start (): void {
    void this.followMessages()
    void this.followEvents()
    void this.followStatus()
    this.roomsTimer = setInterval(() => { void this.refreshRooms() }, this.options.roomsEveryMs)
    void this.refreshRooms()
  }

  /** Calls `listener` after every change; returns how to stop. */
  subscribe (listener: () => void): () => void {
    this.listeners.add(listener)
    return () => { this.listeners.delete(listener) }
  }

  conversation (key: ConversationKey | undefined): Conversation | undefined {
    return key === undefined ? undefined : this.conversations.get(key)
  }

  /** The direct conversations, in the order they started. */
  get directs (): Conversation[] {
    return [...this.conversations.values()].filter(c => c.kind === 'direct')
  }

  /**
   * Joins a room (creating it if nobody is in it), opens it, and shows its
   * last messages; with `open: false` (rooms joined again at login) it is
   * listed with its unread count, and read when opened.
   */
  async join (name: string, { open = true }: { open?: boolean } = {}): Promise<boolean> {
    const wanted = name.trim().replace(/^#/, '').toLowerCase()
    if (wanted === '') return false
    this.joining.add(wanted)
    try {
      const joined = await this.client.join(wanted)
      const room = joined.room
      const key = roomKey(room)
      if (!this.joined.includes(room)) this.joined.push(room)
      if (!this.conversations.has(key)) this.conversations.set(key, new Conversation(key, room))
      if (this.markers && joined.unread !== undefined) this.conversations.get(key)!.unread = joined.unread
      this.members.set(room, sorted(joined.truncated === true ? await this.client.members(room) : joined.members))
      if (open) this.open(key) // reads its last messages
      this.roomsChanged()
      this.options.rememberRooms?.(this.joined)
      return true
    } catch (err) {
      this.problem(err)
      return false
    } finally {
      this.joining.delete(wanted)
    }
  }

  /** Leaves a room; what was seen of it goes (a later join shows its last messages again, with no gap to fill). */
  async leave (room: string): Promise<void> {
    try {
      await this.client.leave(room)
    } catch (err) {
      this.problem(err)
      return
    }
    const at = this.joined.indexOf(room)
    if (at >= 0) this.joined.splice(at, 1)
    this.members.delete(room)
    this.conversations.delete(roomKey(room))
    this.options.rememberRooms?.(this.joined)
    if (this.current === roomKey(room)) {
      // Talk in the room joined last of those left, as the terminal client does.
      const remaining = this.joined.at(-1)
      this.current = remaining === undefined ? undefined : roomKey(remaining)
    }
    this.roomsChanged()
    this.changed()
  }

  /** Opens a conversation: a room we are in, or a person (their history is read the first time). */
  open (key: ConversationKey, name?: string): void {
    let conversation = this.conversations.get(key)
    if (conversation === undefined) {
      if (!key.startsWith('@') || name === undefined) return
      conversation = new Conversation(key, name)
      this.conversations.set(key, conversation)
    }
    this.current = key
    this.atNewest = true // a conversation opens at its newest messages
    conversation.unread = 0
    this.changed()
    if (conversation.older === 'unknown' && !conversation.loading) void this.loadNewest(key)
    else this.markSeen()
  }

  /** Who is typing in a conversation (to us, for a direct one). */
  typingIn (key: ConversationKey | undefined): string[] {
    const conversation = this.conversation(key)
    if (conversation === undefined) return []
    return this.typists.in(conversation.kind === 'room' ? conversation.name : { with: conversation.name })
  }

  /** The line being typed in the open conversation changed: we type (some text) or stopped (none). */
  typed (draft: string): void {
    const conversation = this.conversation(this.current)
    if (conversation === undefined || this.client.isClosed) return
    this.client.typing(conversation.kind === 'room' ? conversation.name : { to: conversation.name }, draft.trim() !== '')
  }

  /** The page came to the front and has the focus (true), or lost it: while it has, what the open conversation shows is read. */
  setFocused (focused: boolean): void {
    this.focused = focused
    this.markSeen()
  }

  /** The open conversation's list is at its newest messages (true), or scrolled up into older ones: what arrives meanwhile stays unread. */
  setAtNewest (atNewest: boolean): void {
    if (atNewest === this.atNewest) return
    this.atNewest = atNewest
    this.markSeen()
  }

  /** What the open conversation shows is being read: the page is focused and its list at the newest messages. */
  private get reading (): boolean {
    return this.focused && this.atNewest
  }

  /** Opens the conversation with someone. */
  openDirect (user: string): void {
    this.open(directKey(user), user)
  }

  /** Opens the conversation with whoever wrote to us last; false if nobody has. */
  replyToLast (): boolean {
    if (this.lastDirectFrom === undefined) {
      this.say({ key: 'reply.nobody' })
      return false
    }
    this.openDirect(this.lastDirectFrom)
    return true
  }

  /**
   * Sends a line to the open conversation. It shows as being sent until the
   * server's ack; a room message also comes back like everyone's, a direct
   * message does not (it is added from the ack). False if it was refused.
   */
  async send (text: string): Promise<boolean> {
    const key = this.current
    const conversation = this.conversation(key)
    if (key === undefined || conversation === undefined || text.trim() === '') return false
    const pending = { id: ++this.pendingIds, text }
    conversation.pending.push(pending)
    this.changed()
    try {
      if (conversation.kind === 'room') {
        const ack = await this.client.send(conversation.name, text)
        this.conversation(key)?.add({ type: 'msg', id: ack.id, ts: ack.ts, room: conversation.name, from: this.me, text })
      } else {
        const ack = await this.client.dm(conversation.name, text)
        conversation.add({ type: 'msg', id: ack.id, ts: ack.ts, to: conversation.name, from: this.me, text })
        if (ack.stored === true) this.say({ key: 'dm.stored', params: { user: conversation.name } })
      }
      return true
    } catch (err) {
      this.problem(err)
      return false
    } finally {
      conversation.pending.splice(conversation.pending.indexOf(pending), 1)
      this.changed()
    }
  }

  /** Reads the page of messages before the oldest one held. */
  async loadOlder (key: ConversationKey): Promise<void> {
    const conversation = this.conversations.get(key)
    if (conversation === undefined || conversation.loading || conversation.older !== 'more') return
    await this.loadPage(conversation, conversation.oldestId)
  }

  /** Reads the room list again (now, or soon after a burst of presence changes). */
  async refreshRooms (): Promise<void> {
    if (!this.client.isConnected) return
    try {
      this.rooms = await this.client.rooms()
      this.changed()
    } catch {
      // Read again later: the list is a hint, and the next change or tick tries again.
    }
  }

  dismissNotice (): void {
    this.notice = undefined
    this.changed()
  }

  /** Says goodbye to the server; the iterators end. */
  async close (): Promise<void> {
    this.stop()
    await this.client.close().catch(() => {})
  }

  private async loadNewest (key: ConversationKey): Promise<void> {
    const conversation = this.conversations.get(key)
    if (conversation !== undefined) await this.loadPage(conversation, undefined)
  }

  private async loadPage (conversation: Conversation, before: number | undefined): Promise<void> {
    conversation.loading = true
    this.changed()
    try {
      const options = { limit: this.options.historyPage, ...(before === undefined ? {} : { before }) }
      const page = conversation.kind === 'room'
        ? await this.client.history(conversation.name, options)
        : await this.client.history({ with: conversation.name }, options)
      conversation.addPage(page)
    } catch (err) {
      this.problem(err)
    } finally {
      conversation.loading = false
      this.changed()
    }
    if (before === undefined) this.markSeen()
  }

  /** Marks read the newest message of the open conversation, while the page is focused and the list at its newest (a registered user's markers). */
  private markSeen (): void {
    const conversation = this.conversation(this.current)
    const newest = conversation?.messages.at(-1)?.id
    if (!this.markers || !this.reading || conversation === undefined || newest === undefined) return
    if (conversation.unread !== 0) {
      conversation.unread = 0
      this.changed()
    }
    if (newest <= conversation.markedRead) return
    conversation.markedRead = newest
    const of = conversation.kind === 'room' ? conversation.name : { with: conversation.name }
    this.client.markRead(of, newest).then(marker => { this.unreadIs(conversation, marker) }, err => { this.markerRefused(err) })
  }

  /** Reads a conversation's unread count from the server (it may have moved on another tab, or be older than this page). */
  private refreshUnread (conversation: Conversation): void {
    if (!this.markers) return
    const of = conversation.kind === 'room' ? conversation.name : { with: conversation.name }
    this.client.unread(of).then(marker => { this.unreadIs(conversation, marker) }, err => { this.markerRefused(err) })
  }

  private unreadIs (conversation: Conversation, marker: ReadMarker): void {
    // The open conversation of a focused page, at its newest, is read as it shows: its count stays at 0.
    if (this.reading && this.current === conversation.key) {
      if (marker.lastId > marker.read) this.markSeen()
      return
    }
    conversation.markedRead = Math.max(conversation.markedRead, marker.read)
    conversation.unread = marker.unread
    this.changed()
  }

  /** A server without markers (or a login that turned out to be a guest's): counts are kept here from now on. */
  private markerRefused (err: unknown): void {
    if (err instanceof ChatError && (err.code === ErrorCodes.UNKNOWN_TYPE || err.code === ErrorCodes.REGISTRATION_REQUIRED)) this.markers = false
  }

  private receive (msg: ChatMessage): void {
    const direct = msg.room === undefined
    const mine = sameName(msg.from, this.me)
    let conversation: Conversation | undefined
    if (direct) {
      const other = mine ? msg.to ?? msg.from : msg.from
      const key = directKey(other)
      conversation = this.conversations.get(key)
      if (conversation === undefined) {
        conversation = new Conversation(key, other)
        this.conversations.set(key, conversation)
        // New to this page, maybe not to us: the server knows what of it we read.
        this.refreshUnread(conversation)
      }
      if (!mine) this.lastDirectFrom = msg.from
    } else {
      // A late message of a room we left is not shown; one of a room being joined is.
      if (!this.joined.includes(msg.room!) && !this.joining.has(msg.room!)) return
      const key = roomKey(msg.room!)
      conversation = this.conversations.get(key)
      if (conversation === undefined) {
        conversation = new Conversation(key, msg.room!)
        this.conversations.set(key, conversation)
      }
    }
    this.typists.message(msg)
    const shown = conversation.key === this.current && (this.reading || !this.markers)
    if (conversation.add(msg) && !mine && !shown) conversation.unread++
    if (shown) this.markSeen()
    this.changed()
  }

  private async followMessages (): Promise<void> {
    while (!this.client.isClosed) {
      try {
        for await (const msg of this.client.messages()) this.receive(msg)
      } catch {
        // A room could not be caught up after a reconnect (its older messages are gone): read every room afresh.
      }
      if (this.client.isClosed) break
      for (const room of this.joined) {
        const key = roomKey(room)
        this.conversations.set(key, new Conversation(key, room))
        void this.loadNewest(key)
      }
      this.changed()
    }
  }

  private async followEvents (): Promise<void> {
    try {
      for await (const event of this.client.events()) this.onEvent(event)
    } catch {
      // The client closed: followStatus says so.
    }
  }

  private onEvent (event: ChatEvent): void {
    this.typists.event(event)
    if (event.type === 'join' || event.type === 'leave') {
      this.presence(event)
    } else if (event.type === 'read' && sameName(event.user, this.me)) {
      // Our marker moved elsewhere (another connection, or while we were away): the count follows.
      const conversation = this.conversation(event.room !== undefined ? roomKey(event.room) : directKey(event.with ?? ''))
      if (conversation !== undefined) this.refreshUnread(conversation)
    }
  }

  private presence (event: PresenceEvent): void {
    const members = this.members.get(event.room)
    if (members === undefined || sameName(event.user, this.me)) return
    const others = members.filter(member => !sameName(member, event.user))
    this.members.set(event.room, event.type === 'join' ? sorted([...others, event.user]) : others)
    this.roomsChanged()
    this.changed()
  }

  private async followStatus (): Promise<void> {
    try {
      for await (const status of this.client.status()) this.onStatus(status)
    } catch {
      // It ends with the error that closed the client: said below.
    }
    if (this.connection.type !== 'closed') {
      const error = await this.client.closed
      this.stop()
      this.setConnection({ type: 'closed', code: error?.code })
    }
  }

  private onStatus (status: StatusEvent): void {
    switch (status.type) {
      case 'disconnect':
        this.typists.clear()
        this.setConnection({ type: 'reconnecting', code: status.error.code, attempt: 0 })
        break
      case 'reconnecting':
        this.setConnection({ type: 'reconnecting', code: this.connection.type === 'reconnecting' ? this.connection.code : 'connection_closed', attempt: status.attempt })
        break
      case 'reconnect':
        this.setConnection({ type: 'back' })
        this.backTimer = setTimeout(() => { if (this.connection.type === 'back') this.setConnection({ type: 'online' }) }, this.options.backOnlineMs)
        void this.afterReconnect()
        break
      case 'close':
        this.stop()
        this.setConnection({ type: 'closed', code: status.error?.code })
        break
      default:
    }
  }

  /** The client rejoined our rooms and resumed their messages; who came and went meanwhile is read again. */
  private async afterReconnect (): Promise<void> {
    await Promise.all(this.joined.map(async room => {
      try {
        const members = await this.client.members(room)
        if (this.members.has(room)) this.members.set(room, sorted(members))
      } catch {
        // Presence events keep it up to date from here on anyway.
      }
    }))
    this.changed()
    await this.refreshRooms()
  }

  private setConnection (state: ConnectionState): void {
    clearTimeout(this.backTimer)
    this.connection = state
    this.changed()
  }

  /** The room list is read again a moment after changes, once for a burst of them. */
  private roomsChanged (): void {
    if (this.roomsSoon !== undefined || this.ended) return
    this.roomsSoon = setTimeout(() => {
      this.roomsSoon = undefined
      void this.refreshRooms()
    }, 300)
  }

  private say (notice: { key: StringKey, params?: Params } | { code: string }): void {
    clearTimeout(this.noticeTimer)
    const shown: Notice = { ...notice, id: ++this.noticeIds }
    this.notice = shown
    this.noticeTimer = setTimeout(() => { if (this.notice === shown) this.dismissNotice() }, this.options.noticeMs)
    this.changed()
  }

  private problem (err: unknown): void {
    this.say({ code: err instanceof ChatError ? err.code : 'internal_error' })
    if (!(err instanceof ChatError)) console.error(err)
  }

  private stop (): void {
    this.ended = true
    this.typists.close()
    clearInterval(this.roomsTimer)
    clearTimeout(this.roomsSoon)
    clearTimeout(this.noticeTimer)
  }

  private changed (): void {
    for (const listener of this.listeners) listener()
  }
}

function sameName (a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase()
}

function sorted (names: readonly string[]): string[] {
  return [...names].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }))
}
