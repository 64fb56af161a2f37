/**
 * Which browser origins may open a WebSocket (cross-site WebSocket
 * hijacking: without this, any page a user visits could talk to the server
 * from the user's network position). Allowed: no `Origin` header at all
 * (non-browser clients), the server's own origin (its host and port as the
 * request's `Host` header names them, with the scheme of this listener),
 * and the configured origins (exact, or `*` for any).
 */
export class OriginPolicy {
  private readonly any: boolean
  private readonly allowed: ReadonlySet<string>

  /** `allowed`: exact origins (`https://chat.example.com`, `http://localhost:8080`) or `*`; throws a RangeError naming one that is not an origin. */
  constructor (allowed: readonly string[] = []) {
    this.any = allowed.includes('*')
    this.allowed = new Set(allowed.filter(origin => origin !== '*').map(origin => {
      const normalized = normalizeOrigin(origin)
      if (normalized === undefined) throw new RangeError(`allowed origin ${JSON.stringify(origin)} is not an origin such as https://chat.example.com (or *)`)
      return normalized
    }))
  }

  /** `secure`: the request came over TLS (its own origin is then `https:`). */
  allows (origin: string | undefined, host: string | undefined, secure: boolean): boolean {
    if (origin === undefined || this.any) return true
    const normalized = normalizeOrigin(origin)
    if (normalized === undefined) return false // `null` (sandboxed pages, files) and garbage
    if (this.allowed.has(normalized)) return true
    return host !== undefined && normalized === normalizeOrigin(`${secure ? 'https' : 'http'}://${host}`)
  }
}

/** `scheme://host[:port]`, lower case, default port left out; undefined for anything else (a path, credentials, `null`). */
function normalizeOrigin (text: string): string | undefined {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') return undefined
  if (url.pathname !== '/' || /^[a-z]+:\/\/[^/]+\/./i.test(text)) return undefined
  return url.origin
}
