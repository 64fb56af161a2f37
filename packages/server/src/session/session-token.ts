import { randomBytes } from 'node:crypto'

/** Characters of a token's lineage part: 9 random bytes, base64url. */
const LINEAGE_CHARS = 12
/** A token: its lineage, then 16 random bytes of its own (base64url). */
const TOKEN = /^[A-Za-z0-9_-]{34}$/

/**
 * A session token (`welcome.session`): opaque to clients, unguessable, new at
 * every login. Its first part names the session's lineage, carried from
 * token to token when a client presents its last one (`hello.resume`), also
 * once that connection is gone or the server has restarted: a guest's
 * idempotency keys are scoped to it (`Session.keyScope`), so its retries
 * after a reconnect are still recognised, and a later guest of the same
 * name (who never had the token) is someone else.
 */
export function newSessionToken (lineage: string): string {
  return lineage + randomBytes(16).toString('base64url')
}

/** The lineage of a session that continues none. */
export function newLineage (): string {
  return randomBytes(9).toString('base64url')
}

/** The lineage a presented token carries; undefined for anything that is not a token of this form. */
export function lineageOf (token: string | undefined): string | undefined {
  return token !== undefined && TOKEN.test(token) ? token.slice(0, LINEAGE_CHARS) : undefined
}
