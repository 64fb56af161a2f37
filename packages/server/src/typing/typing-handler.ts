import { ErrorCodes, isValidRoomName, isValidUsername } from '@chat/protocol'
import type { TypingRequest } from '@chat/protocol'
import type { Session } from '../session/session.js'
import type { TypingBoard } from './typing-board.js'

/**
 * `typing { room | to, active }`: checked (exactly one target, a valid
 * name, a room the user is in), handed to the board, answered `ok` at once.
 * Typing to someone offline (or to oneself) is no error: nobody is told.
 */
export class TypingHandler {
  constructor (private readonly board: TypingBoard) {}

  typing (session: Session, message: TypingRequest): void {
    const { req, room, to, active } = message
    if ((room === undefined) === (to === undefined)) {
      session.connection.refuse(req, ErrorCodes.INVALID_MESSAGE, 'typing needs exactly one of "room" and "to"')
      return
    }
    if (room !== undefined) {
      if (!isValidRoomName(room)) {
        session.connection.refuse(req, ErrorCodes.INVALID_NAME, `${JSON.stringify(room.slice(0, 70))} is not a valid room name`)
        return
      }
      if (!session.rooms.has(room)) {
        session.connection.refuse(req, ErrorCodes.NOT_MEMBER, `join ${room} before typing in it`)
        return
      }
      this.board.set(session, room, undefined, active)
    } else {
      if (!isValidUsername(to!)) {
        session.connection.refuse(req, ErrorCodes.INVALID_NAME, `${JSON.stringify(to!.slice(0, 40))} is not a valid username`)
        return
      }
      const toKey = to!.toLowerCase()
      if (toKey !== session.userKey) this.board.set(session, undefined, toKey, active)
    }
    session.connection.send({ type: 'ok', re: req })
  }
}
