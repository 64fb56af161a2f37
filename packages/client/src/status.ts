import type { ChatError } from './chat-error.js'

/** What `client.status()` reports about the connection. */
export type StatusEvent =
  /** The connection was lost; the client reconnects unless told not to. */
  | { type: 'disconnect', error: ChatError }
  /** Waiting `delayMs` before reconnect attempt `attempt`. */
  | { type: 'reconnecting', attempt: number, delayMs: number }
  /** Connected and logged in again; rooms are being rejoined and iterators resumed. */
  | { type: 'reconnect', attempt: number }
  /** An iterator is full: the client stopped reading the socket until the app catches up. */
  | { type: 'slow_consumer' }
  /** Catching up on a room after a reconnect was impossible (its iterators ended with this error). */
  | { type: 'resume_failed', room: string, error: ChatError }
  /** The client is closed for good; `error` unless it was `close()`d. */
  | { type: 'close', error?: ChatError }
