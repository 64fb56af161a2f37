import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { ServerCounters } from './server-counters.js'

/** What metrics read from a running server at each scrape. */
export interface MetricsSource {
  counters: ServerCounters
  /** Open connections by transport (`tcp`, `tls`, `ws`, `wss`, `memory`, ...). */
  connectionsByTransport: () => ReadonlyMap<string, number>
  users: () => number
  /** Connections refused by the listeners, by why (bad origin, bad upgrade, handshake timeout, ...). */
  refused: () => Readonly<Record<string, number>>
  /** What the limits refused: connections over the caps, requests over the rates, logins too late. */
  limits: () => { connections: number, rateLimited: number, loginTimeouts: number }
}

/**
 * The server's metrics in Prometheus's text format (prom-client, a registry of
 * its own): counters read from `ServerCounters` at scrape time, gauges of
 * what is open now, the commit latency histogram, and Node's own (event-loop
 * delay, memory, CPU, file descriptors).
 */
export class ServerMetrics {
  readonly registry = new Registry()

  constructor (source: MetricsSource) {
    const registry = this.registry
    const { counters } = source
    // GC pauses in buckets fine enough to tell a scavenge of a few ms from a full collection.
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10, gcDurationBuckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5] })
    /** A counter whose value is a number the server keeps: set at each scrape. */
    const mirrored = (name: string, help: string, read: () => number): void => {
      // eslint-disable-next-line no-new
      new Counter({ name, help, registers: [registry], collect () { this.reset(); this.inc(read()) } })
    }
    /** The same, one series per label value of a map. */
    const mirroredBy = (name: string, help: string, label: string, read: () => ReadonlyMap<string, number> | Readonly<Record<string, number>>): void => {
      // eslint-disable-next-line no-new
      new Counter({
        name, help, labelNames: [label], registers: [registry],
        collect () {
          this.reset()
          const values = read()
          for (const [value, n] of values instanceof Map ? values : Object.entries(values)) if (n > 0) this.inc({ [label]: value }, n)
        }
      })
    }
    mirroredBy('chat_connections_opened_total', 'Connections accepted, by transport', 'transport', () => counters.connectionsOpened)
    mirroredBy('chat_connections_closed_total', 'Connections closed, by reason (an error code such as slow_consumer or heartbeat_timeout, quit, disconnected)', 'reason', () => counters.connectionsClosed)
    mirroredBy('chat_connections_refused_total', 'Connections refused by the listeners before the protocol began, by reason', 'reason', source.refused)
    mirrored('chat_too_many_connections_total', 'Connections refused with too_many_connections (over --max-connections or --max-connections-per-ip)', () => source.limits().connections)
    mirrored('chat_rate_limited_total', 'Requests refused with rate_limited (sends, expensive requests, logins, registrations)', () => source.limits().rateLimited)
    mirrored('chat_login_timeouts_total', 'Connections closed for not logging in by --login-timeout-ms', () => source.limits().loginTimeouts)
    mirrored('chat_logins_total', 'Successful logins', () => counters.loginsSucceeded)
    mirrored('chat_login_failures_total', 'Refused logins (wrong password, name taken, invalid name, ...)', () => counters.loginsFailed)
    mirrored('chat_registrations_total', 'Accounts created', () => counters.registrations)
    mirrored('chat_messages_stored_total', 'Messages stored (room and direct): acknowledged sends', () => counters.messagesStored)
    mirrored('chat_messages_delivered_total', 'Copies of messages handed to connections of this server', () => counters.deliveries)
    mirrored('chat_typing_events_delivered_total', 'Typing events handed to connections of this server', () => counters.typingEvents)
    mirrored('chat_read_markers_moved_total', 'Read markers moved up by requests to this server', () => counters.markerMoves)
    mirrored('chat_read_receipts_delivered_total', 'Read receipts handed to connections of this server (rooms with --read-receipts)', () => counters.readReceipts)
    mirrored('chat_received_bytes_total', 'Bytes received from clients', () => counters.bytesIn)
    mirrored('chat_sent_bytes_total', 'Bytes handed to clients\' transports', () => counters.bytesOut)
    mirrored('chat_commits_total', 'Store commits (one per event-loop turn with messages)', () => counters.commits)
    mirrored('chat_commit_failures_total', 'Store commits that failed (their sends were refused with storage_error)', () => counters.commitFailures)
    mirrored('chat_slow_consumers_total', 'Connections dropped for falling behind (slow_consumer)', () => counters.connectionsClosed.get('slow_consumer') ?? 0)
    // eslint-disable-next-line no-new
    new Gauge({
      name: 'chat_connections', help: 'Open connections, by transport', labelNames: ['transport'], registers: [registry],
      collect () {
        this.reset()
        for (const [transport, n] of source.connectionsByTransport()) this.set({ transport }, n)
      }
    })
    // eslint-disable-next-line no-new
    new Gauge({ name: 'chat_users', help: 'Users logged in', registers: [registry], collect () { this.set(source.users()) } })
    const commitSeconds = new Histogram({
      name: 'chat_commit_duration_seconds',
      help: 'How long each store commit took (one transaction, fsynced with --durability full)',
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry]
    })
    const commitMessages = new Histogram({
      name: 'chat_commit_messages',
      help: 'Messages in each store commit (the group commit of one event-loop turn)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384],
      registers: [registry]
    })
    counters.observeCommit = (seconds, messages) => {
      commitSeconds.observe(seconds)
      commitMessages.observe(messages)
    }
  }

  async text (): Promise<string> {
    return await this.registry.metrics()
  }

  get contentType (): string {
    return this.registry.contentType
  }
}
