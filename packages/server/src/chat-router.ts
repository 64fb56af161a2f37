import { encodeFrame, ErrorCodes, isValidRoomName, isValidUsername, PROTOCOL_VERSION, ProtocolError } from '@chat/protocol'
import type {
  ChatMessage, ClientMessage, DecodedBatch, DirectMessage, HelloMessage, JoinMessage, LeaveMessage,
  LeaveReason, ListMembersMessage, SendMessage, ServerMessage
} from '@chat/protocol'
import type { Connection } from './connection.js'
import { IdSequences } from './id-sequences.js'
import type { ResolvedServerOptions } from './options.js'
import { RoomRegistry } from './room-registry.js'
import type { Room } from './room-registry.js'

/**
 * Routing over typed messages: logins, rooms, room messages, direct messages
 * and presence. Everything here is synchronous, so a room's messages are
 * numbered and fanned out in one order that every member sees.
 */
export class ChatRouter {
  /** Logged-in connections by lower-cased username. */
  private readonly users = new Map<string, Connection>()
  private readonly rooms = new RoomRegistry()
  private readonly roomIds = new IdSequences()
  private readonly conversationIds = new IdSequences()

  constructor (private readonly options: ResolvedServerOptions) {}

  get userCount (): number {
    return this.users.size
  }

  handleBatch (connection: Connection, batch: DecodedBatch<ClientMessage>): void {
    for (const item of batch) {
      if (connection.closing) return
      if (item instanceof ProtocolError) connection.refuse(item.req, item.code, item.message)
      else this.handle(connection, item)
    }
  }

  /** Removes a closed connection everywhere and tells its rooms. */
  disconnect (connection: Connection): void {
    if (connection.userKey === undefined) return
    if (this.users.get(connection.userKey) === connection) this.users.delete(connection.userKey)
    const reason: LeaveReason = connection.endReason === 'quit' ? 'quit' : 'disconnected'
    for (const name of connection.rooms) this.removeMember(name, connection, reason)
    connection.rooms.clear()
  }

  private handle (connection: Connection, message: ClientMessage): void {
    switch (message.type) {
      case 'ping': connection.send({ type: 'pong', n: message.n }); return
      case 'pong': return
      case 'bye':
        connection.endReason = 'quit'
        connection.end({ type: 'bye' })
        return
      case 'hello': this.login(connection, message); return
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
        connection.sendFrame(this.encodeListReply(rooms, (list, truncated) => ({ type: 'room_list', re: message.req, rooms: list, ...flag(truncated) })))
        break
      }
      case 'members': this.listMembers(connection, message); break
    }
  }

  private login (connection: Connection, message: HelloMessage): void {
    if (message.v !== PROTOCOL_VERSION) {
      connection.fail(ErrorCodes.UNSUPPORTED_VERSION, `this server speaks protocol version ${PROTOCOL_VERSION}`, false, message.req)
      return
    }
    if (connection.username !== undefined) {
      connection.refuse(message.req, ErrorCodes.ALREADY_LOGGED_IN, `already logged in as ${connection.username}`)
      return
    }
    if (!isValidUsername(message.username)) {
      connection.refuse(message.req, ErrorCodes.INVALID_NAME, 'a username is 1-32 letters, digits, "_", "-" or "." and does not start with "-" or "."')
      return
    }
    const key = message.username.toLowerCase()
    if (this.users.has(key)) {
      connection.refuse(message.req, ErrorCodes.NAME_TAKEN, `the name ${message.username} is in use`)
      return
    }
    this.users.set(key, connection)
    connection.username = message.username
    connection.userKey = key
    this.options.logger.info(`${message.username} logged in from ${connection.remoteAddress}`)
    connection.send({
      type: 'welcome',
      v: PROTOCOL_VERSION,
      re: message.req,
      username: message.username,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs,
      heartbeatTimeoutMs: this.options.heartbeatTimeoutMs,
      maxFrameBytes: this.options.maxFrameBytes,
      maxTextBytes: this.options.maxTextBytes,
      registered: false
    })
  }

  private join (connection: Connection, message: JoinMessage): void {
    if (!this.checkRoomName(connection, message.req, message.room)) return
    const { room, added } = this.rooms.join(message.room, connection)
    connection.rooms.add(room.name)
    connection.sendFrame(this.encodeListReply(memberNames(room), (members, truncated) =>
      ({ type: 'joined', re: message.req, room: room.name, members, ...flag(truncated) })))
    if (added) {
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
    if (!this.checkRoomName(connection, message.req, message.room)) return
    const room = this.rooms.get(message.room)
    if (room === undefined || !connection.rooms.has(room.name)) {
      connection.refuse(message.req, ErrorCodes.NOT_MEMBER, `join ${message.room} before sending to it`)
      return
    }
    const chat: ChatMessage = {
      type: 'msg', id: this.roomIds.peekNext(room.name), room: room.name,
      from: connection.username!, text: message.text, ts: Date.now()
    }
    const frame = this.encodeChat(connection, message.req, chat)
    if (frame === undefined) return
    this.roomIds.commit(room.name, chat.id)
    // Frame once, hand the same bytes to every member (the sender included).
    for (const member of room.members) member.sendFrame(frame)
    connection.send({ type: 'ack', re: message.req, id: chat.id, ts: chat.ts })
  }

  private sendDirect (connection: Connection, message: DirectMessage): void {
    if (!isValidUsername(message.to)) {
      connection.refuse(message.req, ErrorCodes.INVALID_NAME, `${JSON.stringify(message.to.slice(0, 40))} is not a valid username`)
      return
    }
    const target = this.users.get(message.to.toLowerCase())
    if (target === undefined || target.closing) {
      connection.refuse(message.req, ErrorCodes.USER_OFFLINE, `${message.to} is not connected`)
      return
    }
    const key = IdSequences.conversationKey(connection.userKey!, target.userKey!)
    const chat: ChatMessage = {
      type: 'msg', id: this.conversationIds.peekNext(key), to: target.username,
      from: connection.username!, text: message.text, ts: Date.now()
    }
    const frame = this.encodeChat(connection, message.req, chat)
    if (frame === undefined) return
    this.conversationIds.commit(key, chat.id)
    target.sendFrame(frame)
    connection.send({ type: 'ack', re: message.req, id: chat.id, ts: chat.ts })
  }

  private listMembers (connection: Connection, message: ListMembersMessage): void {
    if (!this.checkRoomName(connection, message.req, message.room)) return
    const room = this.rooms.get(message.room)
    if (room === undefined) {
      connection.refuse(message.req, ErrorCodes.NO_SUCH_ROOM, `no one is in ${message.room}`)
      return
    }
    connection.sendFrame(this.encodeListReply(memberNames(room), (members, truncated) =>
      ({ type: 'member_list', re: message.req, room: room.name, members, ...flag(truncated) })))
  }

  /** The message's frame, or undefined after refusing a text that is too long. */
  private encodeChat (connection: Connection, req: number, chat: ChatMessage): Uint8Array | undefined {
    const textBytes = Buffer.byteLength(chat.text, 'utf8')
    if (textBytes > this.options.maxTextBytes) {
      connection.refuse(req, ErrorCodes.MESSAGE_TOO_LONG, `text of ${textBytes} bytes exceeds the limit of ${this.options.maxTextBytes}`)
      return undefined
    }
    try {
      return encodeFrame(chat, this.options.maxFrameBytes)
    } catch (err) {
      // A text within the limit can still escape to more than a frame holds (control characters).
      if (!(err instanceof ProtocolError)) throw err
      connection.refuse(req, ErrorCodes.MESSAGE_TOO_LONG, 'text does not fit in one frame once encoded')
      return undefined
    }
  }

  /** Encodes a reply carrying a list, leaving entries off the end until it fits in one frame. */
  private encodeListReply<T> (items: T[], build: (items: T[], truncated: boolean) => ServerMessage): Uint8Array {
    let count = items.length
    while (true) {
      try {
        return encodeFrame(build(count === items.length ? items : items.slice(0, count), count < items.length), this.options.maxFrameBytes)
      } catch (err) {
        if (!(err instanceof ProtocolError) || count === 0) throw err
        count = Math.floor(count / 2)
      }
    }
  }

  private removeMember (roomName: string, connection: Connection, reason: LeaveReason): void {
    const room = this.rooms.leave(roomName, connection)
    if (room === undefined) return
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

function memberNames (room: Room): string[] {
  const names: string[] = []
  for (const member of room.members) names.push(member.username!)
  return names
}

function flag (truncated: boolean): { truncated?: true } {
  return truncated ? { truncated } : {}
}
