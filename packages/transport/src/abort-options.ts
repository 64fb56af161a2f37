/**
 * What every waiting call of @chat accepts (the SDK's calls, `drain()` and
 * `close()`, the server's `listen()` and `close()`): an `AbortSignal` that
 * stops the wait. Stopping the wait does not undo what was already sent.
 */
export interface AbortOptions {
  signal?: AbortSignal
}
