import { ErrorCodes } from '@chat/protocol'
import { ChatError } from './chat-error.js'

/**
 * Refuses a string with a lone surrogate before it is sent: it has no UTF-8
 * form, so the server would refuse it (`invalid_message`), and a client
 * that sent it could not tell which of its strings was wrong.
 */
export function checkWellFormed (fields: Readonly<Record<string, unknown>>, what: string): void {
  // for...in over a plain object: no array of entries made per call (every send passes here).
  for (const name in fields) {
    const value = fields[name]
    if (typeof value === 'string' && !value.isWellFormed()) {
      throw new ChatError(ErrorCodes.INVALID_MESSAGE, `${what}: "${name}" holds a lone surrogate; strings must be well-formed Unicode`)
    }
  }
}
