import { DEFAULT_MAX_FRAME_BYTES, DEFAULT_MAX_TEXT_BYTES } from '@chat/protocol'
import type { Logger } from './logger.js'

export interface ServerOptions {
  /** How often the server pings a connection (ms). Default 10 000. */
  heartbeatIntervalMs?: number
  /** A connection silent for this long (ms) is dropped with `heartbeat_timeout`. Default 30 000. */
  heartbeatTimeoutMs?: number
  /** Largest frame body accepted or sent, in bytes. Default 64 KiB. */
  maxFrameBytes?: number
  /** Largest message text, in UTF-8 bytes; longer ones are refused with `message_too_long`. Default 16 KiB. */
  maxTextBytes?: number
  /** Outbound bytes queued for one connection before it is dropped as a `slow_consumer`. Default 4 MiB. */
  maxQueuedBytes?: number
  /** How long `close()` waits for clients to take their goodbye before cutting them off (ms). Default 2 000. */
  closeTimeoutMs?: number
  /** Where the server reports what it does. Default: silent. */
  logger?: Logger
}

export type ResolvedServerOptions = Required<ServerOptions>

export function resolveOptions (options: ServerOptions, silent: Logger): ResolvedServerOptions {
  const resolved: ResolvedServerOptions = {
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 10_000,
    heartbeatTimeoutMs: options.heartbeatTimeoutMs ?? 30_000,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    maxTextBytes: options.maxTextBytes ?? DEFAULT_MAX_TEXT_BYTES,
    maxQueuedBytes: options.maxQueuedBytes ?? 4 * 1024 * 1024,
    closeTimeoutMs: options.closeTimeoutMs ?? 2_000,
    logger: options.logger ?? silent
  }
  for (const [name, value] of Object.entries(resolved)) {
    if (typeof value === 'number' && !(Number.isSafeInteger(value) && value > 0)) {
      throw new RangeError(`server option ${name} must be a positive integer, got ${value}`)
    }
  }
  if (resolved.heartbeatTimeoutMs <= resolved.heartbeatIntervalMs) {
    throw new RangeError('heartbeatTimeoutMs must be longer than heartbeatIntervalMs')
  }
  return resolved
}
