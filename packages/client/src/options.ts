import type { AbortOptions } from '@chat/transport'
import type { ChatEvent } from './client-types.js'
import type { ReconnectOptions } from './reconnect-policy.js'
import type { ServerAddresses } from './server-addresses.js'
import type { Transport } from './transports.js'

/**
 * TLS for `tls://` and `wss://` addresses: a subset of Node's `tls.ConnectionOptions`.
 * Without it, the server's certificate must be signed by a CA the system trusts.
 */
export interface TlsOptions {
  /** The CA certificates to trust instead of the system's (PEM): a private CA, or a self-signed server certificate. */
  ca?: string | Buffer | Array<string | Buffer>
  /** A client certificate (PEM), for a server that asks for one. */
  cert?: string | Buffer | Array<string | Buffer>
  /** The private key of `cert` (PEM). */
  key?: string | Buffer | Array<string | Buffer>
  /** The name the server's certificate must carry (and SNI). Default: the address's host name. */
  servername?: string
  /** Default true. False accepts any certificate, which gives up on knowing who the server is: for experiments only. */
  rejectUnauthorized?: boolean
}

export interface ConnectOptions extends ReconnectOptions, AbortOptions {
  /** The name to log in with (see the server's name rules). */
  username: string
  /**
   * The server's address, or the addresses of several servers of one chat
   * service, for `connect({ servers, ... })`: the same as `connect`'s first
   * argument (give one or the other).
   */
  servers?: ServerAddresses
  /**
   * Try several addresses in a random order (once, at connect), so that
   * clients given the same list spread over the servers; false keeps the
   * order given (a preferred server first). Default true, as nats.js.
   */
  randomize?: boolean
  /** The account's password: needed for a registered name. */
  password?: string
  /** Register `username` with `password` first (fails with `name_taken` if it is registered). */
  register?: boolean
  /** Aborts connecting and logging in. */
  signal?: AbortSignal
  /**
   * Messages buffered per `messages()`/`events()` iterator before the client
   * stops reading the socket. While a call awaits its reply the client keeps
   * reading (the reply may be behind the messages), so `await client.send()`
   * inside a `for await` loop can't deadlock. Default 1024.
   */
  highWaterMark?: number
  /** Largest frame sent or accepted. Default 64 KiB, as the server's. */
  maxFrameBytes?: number
  /** Outbound bytes queued before calls are refused with `outbound_full`. Default 8 MiB. */
  maxQueuedBytes?: number
  /** How long `close()` waits for the server's goodbye before cutting the connection (ms). Default 2 000. */
  closeTimeoutMs?: number
  /**
   * How long connecting and logging in may take before the attempt fails with `timeout` (ms).
   * Default: 10 000 for the first connection; for a reconnect, the server's heartbeat timeout (at least 2 000).
   */
  connectTimeoutMs?: number
  /** How long a call waits for a connection while the client is reconnecting before it rejects with `timeout` (ms). Default 30 000. */
  offlineTimeoutMs?: number
  /** Calls waiting for an answer (or for a connection) before new ones reject with `outbound_full`. Default 10 000. */
  maxPendingCalls?: number
  /** For `tls://` and `wss://`: which certificates to trust (`ca`), the client's own, the expected name. */
  tls?: TlsOptions
  /** How to reach the server, whatever the address's scheme. Default: the transport for the scheme (`tcp:`, `tls:`, `ws:`, `wss:`). */
  transport?: Transport
}

/** @deprecated Use `AbortOptions`: every waiting method takes it. */
export type CallOptions = AbortOptions

export interface MessageFilter extends AbortOptions {
  /** Only messages of this room. */
  room?: string
  /** Only messages from this user. */
  from?: string
  /** Only direct messages (true) or only room messages (false). */
  direct?: boolean
  /**
   * With `room`: first every stored message of the room with an id above
   * this, then the live ones, with no gap and no duplicate. The iterator
   * throws `history_gone` if some of them were removed by retention, and
   * `not_member` unless you joined the room.
   */
  since?: number
  /** Ends the iterator with an `aborted` ChatError. */
  signal?: AbortSignal
}

/** `messages({ batch: true, ... })`: the same filter, for an iterator of arrays. */
export interface BatchMessageFilter extends MessageFilter {
  /**
   * Each step of the iterator yields an array: every message queued for it,
   * at least one, in order (messages that arrive while the loop waits come
   * together, as many as one read of the socket brought). One step per
   * batch instead of one per message, for apps that handle messages in bulk.
   * `delivered` and `pending` still count messages, and so does `highWaterMark`.
   */
  batch: true
}

export interface EventFilter extends AbortOptions {
  /** Only events of this room (a direct conversation's typing and read events have none). */
  room?: string
  /** Only events of these types (`'join'`, `'leave'`, `'typing'`, `'read'`). Default: all of them. */
  types?: ReadonlyArray<ChatEvent['type']>
  /** Ends the iterator with an `aborted` ChatError. */
  signal?: AbortSignal
}

export interface HistoryOptions extends AbortOptions {
  /** Messages with ids below this (the default page is the newest). */
  before?: number
  /** Messages with ids above this, oldest first. */
  after?: number
  /** Default 50, at most 500. */
  limit?: number
}
