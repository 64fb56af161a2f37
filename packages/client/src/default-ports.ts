/** `tcp://host` and `tls://host` without a port: the server's TCP port (TLS when it has a certificate). */
export const DEFAULT_PORT = 7777
export const DEFAULT_TLS_PORT = 7777
/** `ws://host` and `wss://host` without a port: the server's HTTP port. */
export const DEFAULT_WS_PORT = 7780

/** The authority of a URL as typed, and whether it names a port (`:443`). */
const EXPLICIT_PORT = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):\d/i

/**
 * `ws://` and `wss://` addresses typed without a port get the server's HTTP
 * port, 7780. A URL can't say it itself: it drops a port that is the
 * scheme's own (80, 443), so `wss://host:443/ws` and `wss://host/ws` parse
 * alike; the typed text tells them apart (the first keeps 443).
 */
export function withDefaultPort (typed: string, url: URL): URL {
  if ((url.protocol === 'ws:' || url.protocol === 'wss:') && url.port === '' && !EXPLICIT_PORT.test(typed.trim())) {
    url.port = String(DEFAULT_WS_PORT)
  }
  return url
}
