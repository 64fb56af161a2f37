/**
 * What a transport tells the owner of a connection in push form. Every
 * callback runs on the transport's own turn (an I/O callback), never inside a
 * call of the owner's.
 */
export interface DuplexEvents {
  /** A chunk arrived. It is the owner's: the transport keeps no reference. */
  onData: (chunk: Uint8Array) => void
  /** The peer ended its side: no more chunks will come (the owner may still write). */
  onEnd: () => void
  /** Writable again, after `write` returned false. */
  onDrain: () => void
  /** The connection is fully closed, however that happened (after `onEnd`, or alone for a reset or `destroy`). */
  onClose: () => void
}

/**
 * A connection in pull form only, with its lifecycle: what a pipeline (the
 * SDK) consumes, as in the it-* / libp2p ecosystem. A consumer that stops
 * pulling `source` stops the transport reading.
 */
export interface PullDuplex {
  /** Incoming chunks. Ends when the peer ends or the connection closes; never throws. */
  readonly source: AsyncIterable<Uint8Array>
  /** Writes every chunk of `source`, honouring the transport's backpressure, then ends the write side. */
  sink: (source: AsyncIterable<Uint8Array>) => Promise<void>
  /** Ends the connection at once, dropping anything unwritten. */
  destroy: () => void
  /** Bytes accepted by the transport but not yet handed on (to the OS, or to the peer). */
  readonly writableLength: number
  /** Settles once the connection is fully closed, however that happened. */
  readonly closed: Promise<void>
  /** The peer's address, for logs and per-address limits: `host:port`, or a label for non-network transports. */
  readonly remoteAddress: string
}

/**
 * One connection, whatever carries it (TCP, TLS, WebSocket, memory): every
 * transport of this package provides it whole.
 *
 * It has two forms, over the same bytes; use one or the other:
 * - **pull** (`source`, `sink`, see `PullDuplex`): the SDK, with one
 *   connection, composes its stages over this form with `it-pipe`.
 * - **push** (`attach`, `write`, `pause`, `resume`, `end`): chunks are handed
 *   to callbacks as they arrive. A server holds many idle connections, and a
 *   suspended pull pipeline keeps promises and generator frames alive for
 *   each (measured: 10.3 KiB of heap per idle connection, against 2.6 KiB
 *   in push form); the server core consumes this form.
 */
export interface Duplex extends PullDuplex {
  /** Push form: from now on, what arrives is handed to `events` (call once; `source` is then unusable). */
  attach: (events: DuplexEvents) => void
  /** Stops handing chunks to `onData` until `resume` (the peer is slowed down by the transport's own flow control). */
  pause: () => void
  resume: () => void
  /** Writes a chunk. False once the transport holds more than its mark: wait for `onDrain` before writing more. */
  write: (chunk: Uint8Array) => boolean
  /** Ends the write side once what was written has gone out. */
  end: () => void
}
