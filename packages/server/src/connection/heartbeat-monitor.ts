import { ErrorCodes } from '@chat/protocol'
import type { Connection } from './connection.js'

export interface HeartbeatOptions {
  heartbeatIntervalMs: number
  heartbeatTimeoutMs: number
}

/**
 * Pings connections that have been quiet for an interval and drops those
 * silent past the timeout. One timer sweeps them all: per-connection timers
 * would cost memory and wakeups at 10k connections. Any inbound frame counts
 * as a sign of life, so a busy client is never pinged; so does, while the
 * server holds a connection's requests (reading paused), its output being
 * taken.
 */
export class HeartbeatMonitor {
  private timer: NodeJS.Timeout | undefined

  constructor (
    private readonly connections: Iterable<Connection>,
    private readonly options: HeartbeatOptions
  ) {}

  start (): void {
    // Sweep often enough that a dead peer is dropped within about a quarter timeout of its deadline.
    const period = Math.max(10, Math.min(this.options.heartbeatIntervalMs, Math.floor(this.options.heartbeatTimeoutMs / 4)))
    this.timer = setInterval(() => { this.sweep(Date.now()) }, period)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
  }

  sweep (now: number): void {
    const { heartbeatIntervalMs, heartbeatTimeoutMs } = this.options
    for (const connection of this.connections) {
      if (connection.closing) continue
      // Not counted: silence while the server itself is not reading (the connection's requests wait their turn) and its bytes go out.
      const silentFor = now - connection.lastSignOfLife
      if (silentFor > heartbeatTimeoutMs) {
        connection.fail(ErrorCodes.HEARTBEAT_TIMEOUT, `nothing received for ${silentFor} ms`)
      } else if (silentFor >= heartbeatIntervalMs && now - connection.lastPingAt >= heartbeatIntervalMs) {
        connection.lastPingAt = now
        connection.send({ type: 'ping', n: ++connection.pingCount })
      }
    }
  }
}
