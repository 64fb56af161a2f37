/**
 * One connection, whatever carries it (TCP, TLS, WebSocket): bytes come out of
 * `source` and go in through `sink`, as in the it-* / libp2p ecosystem.
 */
export interface Duplex {
  /** Incoming chunks, read in pull mode: a consumer that stops pulling stops the transport reading. */
  source: AsyncIterable<Uint8Array>
  /** Writes every chunk of `source`, honouring the transport's backpressure, then ends the write side. */
  sink: (source: AsyncIterable<Uint8Array>) => Promise<void>
  /** Ends the connection at once, dropping anything unwritten. */
  destroy: () => void
  /** Bytes accepted by the transport but not yet handed to the OS. */
  readonly writableLength: number
  /** Settles once the connection is fully closed, however that happened. */
  readonly closed: Promise<void>
  /** Remote address, for logs. */
  readonly remoteAddress: string
}
