import type { ManagedProcess } from '../child-processes.js'
import type { TextFields } from './message-text.js'

/**
 * What a connection of the load generator reports while it reads. Adapters call
 * `chunkStart` once per socket read, then `message`/`acked` for what the read
 * held, then `chunkEnd`: per-read work (reading the clock, topping up a
 * window of sends) happens once per read, not per message.
 */
export interface Receiver {
  chunkStart: (bytes: number) => void
  /** A room message (from another publisher; or any, for a subscriber). `fields` is reused: copy what you keep. */
  message: (fields: TextFields) => void
  /** `count` of our own sends were acknowledged (an ack frame, our own text echoed back, a PONG). */
  acked: (count: number) => void
  chunkEnd: () => void
  /** The server refused something, or the connection ended while in use. */
  failed: (reason: string) => void
}

export interface ConnectionSpec {
  /** A unique, protocol-safe user name (letters and digits, at most 9 characters). */
  name: string
  room: string
  /** The publisher number this connection sends as (its own texts come back as acks, where the protocol echoes). */
  publisher?: number
}

export interface LoadConnection {
  /** Sends the texts to the room in order, in as few writes as the protocol allows. */
  send: (texts: string[]) => void
  /** Drops the connection (no goodbye: the run is over). */
  close: () => void
}

/**
 * The protocols the load generator speaks (targets/open-connection.ts);
 * `chat-sdk` is our protocol through `@chat/client`'s own calls.
 */
export type Protocol = 'chat' | 'chat-sdk' | 'line' | 'nats' | 'irc' | 'socketio' | 'socketio-client'

/** What carries a protocol's bytes (targets/carrier.ts): only our protocol goes over TLS or a WebSocket here. */
export type CarrierKind = 'tcp' | 'tls' | 'ws'

/** Where a server listens and how to speak to it: plain data, so a worker thread can connect too. */
export interface Endpoint {
  protocol: Protocol
  port: number
  /** Default tcp. */
  carrier?: CarrierKind
  /** For tls: the server's (self-signed) certificate, PEM, trusted as the only CA. */
  tlsCa?: string
  /** Our protocol's adapter: every send carries an idempotency key (`key`), made as the SDK makes them. Default unkeyed. */
  keyed?: boolean
  /** With `keyed`: random UUIDs instead (what @chat/client sent before issue 15, and any client with random keys). */
  uuidKeys?: boolean
}

/** A running server. */
export interface LoadTarget {
  name: string
  /** The server's process, for its CPU time and memory. */
  process: ManagedProcess
  endpoint: Endpoint
  stop: () => Promise<void>
  /**
   * A service of several processes (cluster nodes, Redis): their CPU counts as
   * the server's too, and each is also reported on its own (`LoadResult.processCores`).
   */
  helpers?: ManagedProcess[]
  /** Where subscriber i connects: `subscriberEndpoints[i % length]`. Default `endpoint`. */
  subscriberEndpoints?: Endpoint[]
  /** Where publisher i connects: `publisherEndpoints[i % length]`. Default `endpoint`. */
  publisherEndpoints?: Endpoint[]
  /** Read at the start and the end of the measured window (the service's own counters), into `LoadResult.probe`. */
  probe?: () => Promise<unknown>
}

/** A server we may run: `unavailable` says why it is skipped (not installed), or is undefined. */
export interface TargetKind<T extends LoadTarget = LoadTarget> {
  name: string
  unavailable: () => string | undefined
  start: () => Promise<T>
}
