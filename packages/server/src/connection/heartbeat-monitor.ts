import { ErrorCodes } from '@chat/protocol'
import type { LimitCounters } from '../limits/limit-counters.js'
import type { Connection } from './connection.js'

export interface HeartbeatOptions {
  heartbeatIntervalMs: number
  heartbeatTimeoutMs: number
  loginTimeoutMs: number
}

/**
 * Pings connections that have been quiet for an interval and drops those
 * silent past the timeout; closes those that did not log in in time
 * (`login_timeout`). One timer sweeps them all: per-connection timers
 * would cost memory and wakeups at 10k connections. Any inbound frame counts
 * as a sign of life, so a busy client is never pinged; a connection the
 * server stopped reading is not timed out, nor one whose `hello` is being
 * decided.
 */
export class HeartbeatMonitor {
  private timer: NodeJS.Timeout | undefined

  constructor (
    private readonly connections: Iterable<Connection>,
    private readonly options: HeartbeatOptions,
    private readonly counters: LimitCounters
  ) {}

  start (): void {
    // Sweep often enough that a dead peer is dropped within about a quarter timeout of its deadline.
    const { heartbeatIntervalMs, heartbeatTimeoutMs, loginTimeoutMs } = this.options
    const period = Math.max(10, Math.min(heartbeatIntervalMs, Math.floor(heartbeatTimeoutMs / 4), Math.floor(loginTimeoutMs / 4)))
    this.timer = setInterval(() => { this.sweep(Date.now()) }, period)
    this.timer.unref()
  }

  stop (): void {
    clearInterval(this.timer)
  }

  sweep (now: number): void {
    const { heartbeatIntervalMs, heartbeatTimeoutMs, loginTimeoutMs } = this.options
    for (const connection of this.connections) {
      if (connection.closing) continue
      if (connection.session === undefined && !connection.isWaiting && now - connection.openedAt > loginTimeoutMs) {
        this.counters.loginTimeouts++
        connection.fail(ErrorCodes.LOGIN_TIMEOUT, `not logged in within ${loginTimeoutMs} ms`)
        continue
      }
      const silentFor = now - connection.lastSeen
      if (silentFor > heartbeatTimeoutMs && !connection.readPaused) {
        connection.fail(ErrorCodes.HEARTBEAT_TIMEOUT, `nothing received for ${silentFor} ms`)
      } else if (silentFor >= heartbeatIntervalMs && now - connection.lastPingAt >= heartbeatIntervalMs) {
        connection.lastPingAt = now
        connection.send({ type: 'ping', n: ++connection.pingCount })
      }
    }
  }
}
