/**
 * What the listeners refused, counted since the server started: the bad
 * input that never reaches a `Connection` (the hardening work exposes these
 * as metrics).
 */
export interface TransportStats {
  /** WebSocket upgrades refused (HTTP 403) for their `Origin`. */
  refusedOrigins: number
  /** Requests to the WebSocket path that were not a valid upgrade: a plain request (426), a malformed upgrade (400). */
  badUpgrades: number
  /** HTTP requests that could not be parsed (400). */
  malformedRequests: number
  /** WebSocket connections closed (1003) for sending a text message. */
  textMessages: number
  /** WebSocket connections closed (1009) for a message over the size limit. */
  oversizedMessages: number
  /** Connections closed for not finishing their TLS handshake, or their HTTP request, in time. */
  handshakeTimeouts: number
  /** TLS handshakes that failed: a plain TCP client on a TLS port, a client refusing the certificate, garbage. */
  tlsErrors: number
}

/** The counters, incremented by the listeners; `snapshot()` is what `ChatServer.transportStats()` returns. */
export class TransportCounters implements TransportStats {
  refusedOrigins = 0
  badUpgrades = 0
  malformedRequests = 0
  textMessages = 0
  oversizedMessages = 0
  handshakeTimeouts = 0
  tlsErrors = 0

  snapshot (): TransportStats {
    return { ...this }
  }

  /** A TLS server's 'tlsClientError': a handshake that timed out, or one that failed. */
  tlsClientError (err: Error): void {
    if ((err as NodeJS.ErrnoException).code === 'ERR_TLS_HANDSHAKE_TIMEOUT') this.handshakeTimeouts++
    else this.tlsErrors++
  }
}
