import type { ChatError } from './chat-error.js'

/** What `client.status()` reports about the connection. `url` is a server's address (`client.url`'s form). */
export type StatusEvent =
  /** The connection to `url` was lost; the client reconnects unless told not to. */
  | { type: 'disconnect', error: ChatError, url: string }
  /** Waiting `delayMs` before reconnect attempt `attempt`, to `url`. */
  | { type: 'reconnecting', attempt: number, delayMs: number, url: string }
  /** Connected and logged in again, to `url`; rooms are being rejoined and iterators resumed. */
  | { type: 'reconnect', attempt: number, url: string }
  /** An iterator is full: the client stopped reading the socket until the app catches up. */
  | { type: 'slow_consumer' }
  /** Catching up on a room after a reconnect was impossible (its iterators ended with this error). */
  | { type: 'resume_failed', room: string, error: ChatError }
  /** The client is closed for good; `error` unless it was `close()`d. */
  | { type: 'close', error?: ChatError }
