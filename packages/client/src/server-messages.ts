import { ErrorCodes, messagesOfRun } from '@chat/protocol'
import type { ServerMessage } from '@chat/protocol'
import type { CallTable } from './call-table.js'
import { ChatError } from './chat-error.js'
import type { ClientConnection } from './client-connection.js'
import type { ClientMarkers } from './client-markers.js'
import type { ChatEvent, PresenceEvent } from './client-types.js'
import type { ResumeTracker } from './resume-tracker.js'
import type { SubscriptionRouter } from './subscription-router.js'

/**
 * Where each message from the server goes in the client: chat messages to
 * the resume tracker (and on to the iterators), events to `events()`,
 * replies to their calls, `joined` and `replay_done` to the tracker first.
 */
export class ServerMessages {
  constructor (
    private readonly calls: CallTable<ClientConnection>,
    private readonly resumeTracker: ResumeTracker<ClientConnection>,
    private readonly router: SubscriptionRouter,
    private readonly markers: ClientMarkers
  ) {}

  /** Every message from the server, synchronously as it is read (replies before the messages behind them). */
  dispatch (message: ServerMessage): void {
    switch (message.type) {
      case 'msg':
        this.resumeTracker.route(message)
        return
      case 'msgs':
        for (const msg of messagesOfRun(message)) this.resumeTracker.route(msg)
        return
      case 'presence': {
        const event: PresenceEvent = { type: message.event, room: message.room, user: message.user }
        if (message.reason !== undefined) event.reason = message.reason
        this.router.deliverEvent(event)
        return
      }
      case 'typing': {
        const event: ChatEvent = message.room !== undefined
          ? { type: 'typing', room: message.room, user: message.user, active: message.active }
          : { type: 'typing', to: message.to, user: message.user, active: message.active }
        this.router.deliverEvent(event)
        return
      }
      case 'read':
        this.markers.readEvent(message)
        return
      case 'error': {
        const call = message.re === undefined ? undefined : this.calls.get(message.re)
        if (call === undefined) return
        // Over a rate of the server's: the same request goes again once the server said it may (bounded).
        if (message.code === ErrorCodes.RATE_LIMITED && this.calls.retryLater(call, message.retryAfterMs)) return
        this.calls.settle(call, new ChatError(message.code, message.message, message.retryAfterMs === undefined ? undefined : { retryAfterMs: message.retryAfterMs }))
        return
      }
      case 'joined': {
        // An app's join starts tracking the room at its newest id; a rejoin after a reconnect starts the catch-up.
        const call = this.calls.get(message.re)
        if (call?.resend === true) {
          this.resumeTracker.joined(message.room, message.lastId)
          this.markers.joined(message.room, message.read, false)
        } else if (call?.connection !== undefined) {
          this.resumeTracker.rejoined(call.connection, message.room, message.lastId)
          // Resuming brings markers up to date: one moved meanwhile (another device of ours) is told.
          this.markers.joined(message.room, message.read, true)
        }
        break
      }
      case 'replay_done':
        this.resumeTracker.replayDone(message.re, message.lastId)
        break
      case 'ping': case 'pong': case 'bye':
        return
    }
    const call = this.calls.get(message.re)
    if (call !== undefined) this.calls.settle(call, message)
  }
}
