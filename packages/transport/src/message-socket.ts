/**
 * A WebSocket as `WsDuplex` needs it, whoever implements it: the `ws`
 * package in Node (`nodeMessageSocket`), a browser's `WebSocket` later. It
 * is open when handed over. Environment-neutral on purpose: nothing here
 * imports Node or the `ws` package, so a browser build can load `WsDuplex`.
 */
export interface MessageSocket {
  /** The peer's address, for logs: `host:port`. */
  readonly remoteAddress: string
  /** Bytes accepted by `send` that have not gone to the network yet. */
  readonly bufferedAmount: number
  /** True while messages may be sent: open, and no close started by either side. */
  readonly sendable: boolean
  /** Sends one binary message. */
  send: (message: Uint8Array) => void
  /** Starts the closing handshake, after what was sent. */
  close: (code: number, reason: string) => void
  /** Cuts the connection at once, without a handshake. */
  terminate: () => void
  /** Stops reading from the network until `resume` (where the environment can: a browser cannot). */
  pause: () => void
  resume: () => void
  /** Sets the one listener of the socket's events; call once. */
  listen: (listener: MessageSocketListener) => void
}

/** What a `MessageSocket` reports, each on its own I/O turn. */
export interface MessageSocketListener {
  /** A whole message: `binary` false for a text message (its UTF-8 bytes). */
  onMessage: (data: Uint8Array, binary: boolean) => void
  /** The peer's close frame arrived, or its input ended: no more messages. */
  onPeerClosed: () => void
  /** Some of what was sent went out (`bufferedAmount` may be lower). */
  onSent: () => void
  /** The connection is closed, however that happened. */
  onClose: () => void
}

/** The close codes this transport sends (RFC 6455 §7.4.1). */
export const WsCloseCodes = {
  /** A normal end: `end()`. */
  NORMAL: 1000,
  /** A text message: only binary messages carry the protocol. */
  UNSUPPORTED_DATA: 1003,
  /** A message larger than the receiver's limit (sent by the `ws` package itself). */
  MESSAGE_TOO_BIG: 1009
} as const
