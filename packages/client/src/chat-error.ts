import type { ErrorCode } from '@chat/protocol'

/**
 * Every rejection and every abnormal end in the SDK. `code` is stable: it is
 * the server's error code (`name_taken`, `user_offline`, ...) or a local one
 * (`connection_closed`, `connect_failed`, `aborted`, `outbound_full`).
 */
export class ChatError extends Error {
  override name = 'ChatError'
  readonly code: ErrorCode | (string & {})
  /** With `rate_limited`: how long the server said to wait before trying again (ms). */
  declare readonly retryAfterMs?: number

  constructor (code: ErrorCode | (string & {}), message: string, options?: { cause?: unknown, retryAfterMs?: number }) {
    super(message, options)
    this.code = code
    if (options?.retryAfterMs !== undefined) (this as { retryAfterMs?: number }).retryAfterMs = options.retryAfterMs
  }
}
