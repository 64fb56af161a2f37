import { encodeFrame, ErrorCodes, isValidRoomName, isValidUsername, ProtocolError } from '@chat/protocol'
import type {
  ClientMessage, DecodedBatch, DirectMessage, JoinMessage, LeaveMessage,
  LeaveReason, ListMembersMessage, SendMessage, ServerMessage
} from '@chat/protocol'
import { AckBatch } from './ack-batch.js'
import type { Connection } from './connection.js'
import { GroupCommitLog } from './group-commit-log.js'
import { HistoryHandler } from './history-handler.js'
import { IdSequences } from './id-sequences.js'
import { encodeFittingReply } from './list-reply.js'
import { LoginHandler } from './login-handler.js'
import { OnlineUsers } from './online-users.js'
import type { ResolvedServerOptions } from './options.js'
import { RoomRegistry } from './room-registry.js'
import type { Room } from './room-registry.js'
import { conversationStream } from './store/store.js'
import type { MessageWrite, Store } from './store/store.js'
import { messageFrame } from './message-frame.js'
import { frameBytesOf, WireBuilder } from './wire-builder.js'
import type { MessageAddress } from './message-frame.js'
import { toChatMessage } from './stored-message.js'

/** Member lists in replies name at most this many members (and say they were cut). */
const MAX_LISTED_MEMBERS = 1_000

/** Inbox messages read per step of an inbox delivery. */
const INBOX_PAGE = 256
/**
 * Room a message's frame must leave below the frame limit: stored messages
 * are sent again wrapped in a bit more (a replay tag, a history page).
 */
const WRAP_HEADROOM = 256

/** Longest idempotency key accepted (a UUID is 36). */
const MAX_KEY_LENGTH = 128

/** A message to write, and what to do with it once it is on disk. */
interface Delivery extends MessageWrite {
  sender: Connection
  req: number
  /** Its idempotency key (`<user key> <key>`), while it is being written. */
  pendingKey?: string
  /** Retries of the same key that arrived while it was being written: acknowledged with it. */
  retries?: Array<{ sender: Connection, req: number }>
  /** The frame to hand out (a latin1 string for an ASCII text, see messageFrame). */
  frame: string | Uint8Array
  /** Room messages: fanned out to the room's members at commit time. */
  room?: string
  /** Direct messages to someone online. */
  target?: Connection
}

/**
 * Routing over typed messages: logins, rooms, room and direct messages,
 * presence. A message gets its id when accepted, is written with its batch,
 * and is fanned out and acknowledged only once committed: what anyone saw
 * or was acknowledged is on disk, in the order everyone saw it.
 */
export class ChatRouter {
  private readonly users = new OnlineUsers()
  private readonly rooms = new RoomRegistry()
  private readonly ids: IdSequences
  private readonly log: GroupCommitLog<Delivery>
  private readonly login: LoginHandler
  private readonly history: HistoryHandler
  /** Sends being written, by idempotency key: a retry arriving meanwhile waits for the same commit. */
  private readonly pendingKeys = new Map<string, Delivery>()

  constructor (private readonly options: ResolvedServerOptions, private readonly store: Store) {
    this.ids = new IdSequences(stream => store.lastId(stream))
    this.log = new GroupCommitLog<Delivery>(store, (deliveries, error) => { this.deliver(deliveries, error) })
    this.login = new LoginHandler(options, store, this.users,
      connection => {
        this.resendDirect(connection)
        this.deliverInbox(connection)
      },
      (old, replacement) => { this.moveMemberships(old, replacement) })
    this.history = new HistoryHandler(options, store, this.users)
  }

  get userCount (): number {
    return this.users.size
  }

  /** Commits what is waiting (at shutdown, before the store closes). */
  flush (): void {
    this.log.flush()
  }

  /** Handles a batch in order; if a login must wait (a password check), the rest of the batch waits for it. */
  handleBatch (connection: Connection, batch: DecodedBatch<ClientMessage>, start = 0): Promise<void> | undefined {
    for (let i = start; i < batch.length; i++) {
      if (connection.closing) return
      const item = batch[i]
      if (item instanceof ProtocolError) {
        connection.refuse(item.req, item.code, item.message)
        continue
      }
      const pending = this.handle(connection, item)
      if (pending !== undefined) return pending.then(() => this.handleBatch(connection, batch, i + 1))
    }
  }

  /**
   * A resumed session keeps its rooms: the new connection takes the old one's
   * place in each, so the other members see no one leave or join.
   */
  private moveMemberships (old: Connection, replacement: Connection): void {
    for (const name of old.rooms) {
      this.rooms.leave(name, old)
      this.rooms.join(name, replacement)
      replacement.rooms.add(name)
    }
    old.rooms.clear()
    // The old connection may have been dead for a while (a half-open socket): what it was handed
    // lately goes again, after the welcome. Rooms need nothing: the client replays them from its last id.
    replacement.resentDirect = old.takeRecentDirect()
  }

  /** Direct messages of a resumed session, sent again (clients drop those they had: same sender, id and ts). */
  private resendDirect (connection: Connection): void {
    const frames = connection.resentDirect
    connection.resentDirect = undefined
    if (frames === undefined) return
    for (const frame of frames) connection.sendDirect(frame)
  }

  /** Removes a closed connection everywhere and tells its rooms. */
  disconnect (connection: Connection): void {
    if (connection.userKey === undefined) return
    this.users.remove(connection)
    const reason: LeaveReason = connection.endReason === 'quit' ? 'quit' : 'disconnected'
    for (const name of connection.rooms) this.removeMember(name, connection, reason)
    connection.rooms.clear()
  }

  private handle (connection: Connection, message: ClientMessage): Promise<void> | undefined {
    switch (message.type) {
      case 'ping': connection.send({ type: 'pong', n: message.n }); return
      case 'pong': return
      case 'bye':
        connection.endReason = 'quit'
        connection.end({ type: 'bye' })
        return
      case 'hello': return this.login.login(connection, message)
    }
    if (connection.username === undefined) {
      connection.refuse(message.req, ErrorCodes.NOT_LOGGED_IN, 'send "hello" first')
      return
    }
    switch (message.type) {
      case 'join': this.join(connection, message); break
      case 'leave': this.leave(connection, message); break
      case 'send': this.sendToRoom(connection, message); break
      case 'dm': this.sendDirect(connection, message); break
      case 'rooms': {
        const rooms = this.rooms.list().map(room => ({ room: room.name, members: room.members.size }))
        connection.sendFrame(encodeFittingReply(rooms.length, this.options.maxFrameBytes, count =>
          ({ type: 'room_list', re: message.req, rooms: rooms.slice(0, count), ...cut(count < rooms.length) })))
        break
      }
      case 'members': this.listMembers(connection, message); break
      case 'history': this.history.history(connection, message); break
      case 'replay': this.history.replay(connection, message); break
    }
  }

  private join (connection: Connection, message: JoinMessage): void {
    if (!this.checkRoomName(connection, message.req, message.room)) return
    const { room, added } = this.rooms.join(message.room, connection)
    connection.rooms.add(room.name)
    // Past the presence limit no one is told of joins and leaves, so a list would go stale at once;
    // and naming the room in every join of a big room costs N² bytes. `members` still answers.
    const quiet = room.members.size > this.options.presenceLimit
    const members = quiet ? [] : memberNames(room)
    const cutShort = room.members.size > members.length
    // Committed messages only: those still being written are fanned out to this member when they commit.
    const lastId = this.store.lastId(room.stream)
    connection.sendFrame(encodeFittingReply(members.length, this.options.maxFrameBytes, count =>
      ({ type: 'joined', re: message.req, room: room.name, members: members.slice(0, count), lastId, ...cut(cutShort || count < members.length) })))
    if (added && room.members.size <= this.options.presenceLimit) {
      this.broadcast(room, { type: 'presence', event: 'join', room: room.name, user: connection.username! }, connection)
    }
  }

  private leave (connection: Connection, message: LeaveMessage): void {
    if (!this.checkRoomName(connection, message.req, message.room)) return
    if (!connection.rooms.delete(message.room)) {
      connection.refuse(message.req, ErrorCodes.NOT_MEMBER, `not a member of ${message.room}`)
      return
    }
    this.removeMember(message.room, connection, 'left')
    connection.send({ type: 'left', re: message.req, room: message.room })
  }

  private sendToRoom (connection: Connection, message: SendMessage): void {
    // A member's room name was checked when it joined.
    if (!connection.rooms.has(message.room)) {
      if (!this.checkRoomName(connection, message.req, message.room)) return
      connection.refuse(message.req, ErrorCodes.NOT_MEMBER, `join ${message.room} before sending to it`)
      return
    }
    if (this.isRetry(connection, message.req, message.key)) return
    const room = this.rooms.get(message.room)!
    const id = this.ids.peekNext(room.stream)
    const ts = Date.now()
    const frame = this.encodeMessage(connection, message.req, id, 'room', room.name, message.text, ts)
    if (frame === undefined) return
    this.ids.commit(room.stream, id)
    this.write({
      message: { stream: room.stream, id, room: room.name, from: connection.username!, text: message.text, ts },
      sender: connection,
      req: message.req,
      frame,
      room: room.name
    }, message.key)
  }

  private sendDirect (connection: Connection, message: DirectMessage): void {
    if (!isValidUsername(message.to)) {
      connection.refuse(message.req, ErrorCodes.INVALID_NAME, `${JSON.stringify(message.to.slice(0, 40))} is not a valid username`)
      return
    }
    if (this.isRetry(connection, message.req, message.key)) return
    const targetKey = message.to.toLowerCase()
    const online = this.users.get(targetKey)
    // Someone still receiving their offline inbox gets new messages through it, in order.
    const target = online !== undefined && !online.closing && !online.drainingInbox ? online : undefined
    const account = target === undefined && this.options.authMode !== 'open' ? this.store.getAccount(targetKey) : undefined
    if (target === undefined && account === undefined) {
      if (this.options.authMode === 'open') {
        connection.refuse(message.req, ErrorCodes.USER_OFFLINE, `${message.to} is not connected`)
      } else {
        connection.refuse(message.req, ErrorCodes.NO_SUCH_USER, `no user is called ${message.to}`)
      }
      return
    }
    const to = target?.username ?? account!.name
    const stream = conversationStream(connection.identity!, target?.identity ?? targetKey)
    const id = this.ids.peekNext(stream)
    const ts = Date.now()
    const frame = this.encodeMessage(connection, message.req, id, 'to', to, message.text, ts)
    if (frame === undefined) return
    this.ids.commit(stream, id)
    const delivery: Delivery = {
      message: { stream, id, to, from: connection.username!, text: message.text, ts },
      sender: connection,
      req: message.req,
      frame
    }
    // Someone offline (a registered user) gets it from their inbox at their next login.
    if (target !== undefined) delivery.target = target
    else delivery.inboxFor = targetKey
    this.write(delivery, message.key)
  }

  /** Hands a message to the group commit, with its idempotency key if the client gave one. */
  private write (delivery: Delivery, key: string | undefined): void {
    if (key !== undefined) {
      delivery.idempotency = { userKey: delivery.sender.userKey!, key }
      delivery.pendingKey = `${delivery.sender.userKey!} ${key}`
      this.pendingKeys.set(delivery.pendingKey, delivery)
    }
    this.log.write(delivery)
  }

  /**
   * A send whose idempotency key was seen already: acknowledged with the
   * original message's id and timestamp, and not stored or delivered again.
   */
  private isRetry (connection: Connection, req: number, key: string | undefined): boolean {
    if (key === undefined) return false
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) {
      connection.refuse(req, ErrorCodes.INVALID_MESSAGE, `an idempotency key is 1-${MAX_KEY_LENGTH} characters`)
      return true
    }
    const pending = this.pendingKeys.get(`${connection.userKey!} ${key}`)
    if (pending !== undefined) {
      (pending.retries ??= []).push({ sender: connection, req })
      return true
    }
    const stored = this.store.findByKey({ userKey: connection.userKey!, key })
    if (stored === undefined) return false
    connection.send({ type: 'ack', re: req, id: stored.id, ts: stored.ts })
    return true
  }

  /** A committed batch: fan out and acknowledge, in commit order. */
  private deliver (deliveries: Delivery[], error: Error | undefined): void {
    if (error !== undefined) {
      this.options.logger.warn(`storing ${deliveries.length} message(s) failed: ${error.message}`)
      for (const d of deliveries) {
        this.ids.forget(d.message.stream) // reread from the store: the failed ids were never used
        if (d.pendingKey !== undefined) this.pendingKeys.delete(d.pendingKey)
        for (const { sender, req } of [d, ...d.retries ?? []]) {
          sender.refuse(req, ErrorCodes.STORAGE_ERROR, 'the message could not be stored; it was not delivered')
        }
      }
      return
    }
    // A room's messages of this batch are joined into one buffer, once, and the same bytes go to
    // every member (the sender included): no per-member copy, one queue entry per member per batch.
    const roomFrames = new Map<string, WireBuilder>()
    for (const d of deliveries) {
      if (d.pendingKey !== undefined) this.pendingKeys.delete(d.pendingKey)
      if (d.room !== undefined) {
        let wire = roomFrames.get(d.room)
        if (wire === undefined) roomFrames.set(d.room, wire = new WireBuilder())
        wire.add(d.frame)
      } else if (d.target !== undefined) {
        d.target.sendDirect(frameBytesOf(d.frame))
      }
    }
    for (const [name, wire] of roomFrames) {
      // Its members now, including those who joined while it was being written (they were told a lower lastId).
      const room = this.rooms.get(name)
      if (room === undefined) continue
      const bytes = wire.bytes()
      for (const member of room.members) member.sendFrame(bytes)
    }
    // Acknowledgements after the messages: a sender has its own message before its ack.
    const acks = new AckBatch()
    for (const d of deliveries) {
      const { id, ts } = d.message
      acks.add(d.sender, d.req, id, ts, d.inboxFor !== undefined)
      for (const retry of d.retries ?? []) acks.add(retry.sender, retry.req, id, ts, false)
    }
    acks.send()
  }

  /**
   * Direct messages kept while a registered user was away, in the order they
   * were sent, as fast as the client takes them (an inbox of any size never
   * overflows the connection's queue). Direct messages arriving meanwhile
   * join the inbox; an empty read ends the delivery, in the same step as
   * new ones start going out live.
   */
  private deliverInbox (connection: Connection): void {
    if (!connection.registered) return
    connection.drainingInbox = true
    const pauseAt = Math.floor(this.options.maxQueuedBytes / 4)
    const userKey = connection.userKey!
    const run = async (): Promise<void> => {
      while (!connection.closing) {
        this.log.flush() // messages still being written for this user belong in the inbox now
        const page = this.store.readInbox(userKey, INBOX_PAGE)
        if (page.length === 0) break
        let sent = 0
        while (sent < page.length && connection.queuedFrameBytes < pauseAt) {
          connection.sendFrame(encodeFrame(toChatMessage(page[sent].message), this.options.maxFrameBytes))
          sent++
        }
        // Handed to the connection: an inbox delivers at most once (history keeps every message).
        if (sent > 0) this.store.removeInbox(userKey, page[sent - 1].seq)
        await connection.drained()
      }
    }
    run()
      .catch(err => { this.options.logger.warn(`delivering ${connection.username ?? '?'}'s inbox failed: ${String(err)}`) })
      .finally(() => { connection.drainingInbox = false })
  }

  private listMembers (connection: Connection, message: ListMembersMessage): void {
    if (!this.checkRoomName(connection, message.req, message.room)) return
    const room = this.rooms.get(message.room)
    if (room === undefined) {
      connection.refuse(message.req, ErrorCodes.NO_SUCH_ROOM, `no one is in ${message.room}`)
      return
    }
    const members = memberNames(room)
    const cutShort = room.members.size > members.length
    connection.sendFrame(encodeFittingReply(members.length, this.options.maxFrameBytes, count =>
      ({ type: 'member_list', re: message.req, room: room.name, members: members.slice(0, count), ...cut(cutShort || count < members.length) })))
  }

  /** The message's frame, or undefined after refusing a text that is too long. */
  private encodeMessage (connection: Connection, req: number, id: number, where: MessageAddress, name: string, text: string, ts: number): string | Uint8Array | undefined {
    const textBytes = Buffer.byteLength(text, 'utf8')
    if (textBytes > this.options.maxTextBytes) {
      connection.refuse(req, ErrorCodes.MESSAGE_TOO_LONG, `text of ${textBytes} bytes exceeds the limit of ${this.options.maxTextBytes}`)
      return undefined
    }
    try {
      // A text within the limit can still escape to more than a frame holds (control characters).
      return messageFrame(id, where, name, connection.username!, text, textBytes, ts, this.options.maxFrameBytes - WRAP_HEADROOM)
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err
      connection.refuse(req, ErrorCodes.MESSAGE_TOO_LONG, 'text does not fit in one frame once encoded')
      return undefined
    }
  }

  private removeMember (roomName: string, connection: Connection, reason: LeaveReason): void {
    const room = this.rooms.leave(roomName, connection)
    if (room === undefined || room.members.size >= this.options.presenceLimit) return
    this.broadcast(room, { type: 'presence', event: 'leave', room: room.name, user: connection.username!, reason })
  }

  private broadcast (room: Room, message: ServerMessage, except?: Connection): void {
    if (room.members.size === 0) return
    const frame = encodeFrame(message, this.options.maxFrameBytes)
    for (const member of room.members) if (member !== except) member.sendFrame(frame)
  }

  private checkRoomName (connection: Connection, req: number, room: string): boolean {
    if (isValidRoomName(room)) return true
    connection.refuse(req, ErrorCodes.INVALID_NAME, 'a room name is 1-64 lowercase letters, digits, "_", "-" or "." and does not start with "-" or "."')
    return false
  }
}

/** The first members of a room, at most MAX_LISTED_MEMBERS (a reply says when the list was cut). */
function memberNames (room: Room): string[] {
  const names: string[] = []
  for (const member of room.members) {
    if (names.length === MAX_LISTED_MEMBERS) break
    names.push(member.username!)
  }
  return names
}

/** The `truncated` flag of a list reply, present only when set. */
function cut (truncated: boolean): { truncated?: true } {
  return truncated ? { truncated } : {}
}
