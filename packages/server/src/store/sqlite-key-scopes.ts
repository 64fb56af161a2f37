import type { Database as DatabaseHandle, Statement } from 'better-sqlite3'

/** Scopes whose numbers are kept in memory at most (a guest's session is a scope: they come and go). */
const CACHED_SCOPES = 4096
/**
 * How far behind a scope's recorded last use may be: it is written when it
 * moves by more than this, not with every commit. Retention allows for it.
 */
export const SCOPE_USE_SLACK_MS = 3_600_000

/** A scope's number (as written in stored keys) and its last use as recorded. */
interface Known { n: string, usedAt: number }

/**
 * Key scopes by number, as the SQLite store keeps keys: `<key> <n>`. A scope
 * (a user's account, a guest's session, with `/dm` for direct messages) is
 * 5-50 characters; every keyed message holds its key twice (its row, the
 * unique index of keys) and each commit writes both to the WAL, so a number
 * of a few digits is a large part of what a keyed send costs over an
 * unkeyed one. A scope is numbered at its first keyed message, in that
 * message's transaction. Its last use is recorded (at most
 * `SCOPE_USE_SLACK_MS` behind), so that retention can forget the scopes no
 * stored message names any more.
 */
export class SqliteKeyScopes {
  private readonly known = new Map<string, Known>()
  /** Scopes numbered or whose use was recorded in the open transaction: forgotten here if it rolls back. */
  private readonly touched: string[] = []
  private next: number
  private readonly statements: { find: Statement, add: Statement, use: Statement, forget: Statement }

  constructor (db: DatabaseHandle) {
    this.statements = {
      find: db.prepare('SELECT n, used_at AS usedAt FROM key_scopes WHERE scope = ?'),
      add: db.prepare('INSERT INTO key_scopes (scope, n, used_at) VALUES (?, ?, ?)'),
      use: db.prepare('UPDATE key_scopes SET used_at = ? WHERE scope = ?'),
      forget: db.prepare('DELETE FROM key_scopes WHERE used_at < ?')
    }
    this.next = ((db.prepare('SELECT max(n) FROM key_scopes').pluck().get() as number | null) ?? 0) + 1
  }

  /** The scope's number, or undefined if no key was ever stored in it. */
  find (scope: string): string | undefined {
    return this.lookUp(scope)?.n
  }

  /** Inside an append's transaction, for a keyed message at `ts`: the scope's number, given now if it has none. */
  numberFor (scope: string, ts: number): string {
    const known = this.lookUp(scope)
    if (known === undefined) {
      const added = { n: String(this.next), usedAt: ts }
      this.statements.add.run(scope, this.next++, ts)
      this.remember(scope, added)
      this.touched.push(scope)
      return added.n
    }
    if (ts > known.usedAt + SCOPE_USE_SLACK_MS) {
      this.statements.use.run(ts, scope)
      known.usedAt = ts
      this.touched.push(scope)
    }
    return known.n
  }

  /** The append's transaction is over: committed, or rolled back (what it numbered or recorded is read again from the file). */
  settle (committed: boolean): void {
    if (!committed) for (const scope of this.touched) this.known.delete(scope)
    this.touched.length = 0
  }

  /**
   * Inside retention's transaction, once messages are removed: forgets the
   * scopes last used before the oldest message left (by more than the slack
   * of their record), which no stored message can name.
   */
  forgetBefore (oldestTs: number | null): void {
    // No message left: no scope is named.
    const before = (oldestTs ?? Number.MAX_SAFE_INTEGER) - SCOPE_USE_SLACK_MS
    if (this.statements.forget.run(before).changes > 0) this.known.clear()
  }

  private lookUp (scope: string): Known | undefined {
    const cached = this.known.get(scope)
    if (cached !== undefined) return cached
    const row = this.statements.find.get(scope) as { n: number, usedAt: number } | undefined
    if (row === undefined) return undefined
    const stored = { n: String(row.n), usedAt: row.usedAt }
    this.remember(scope, stored)
    return stored
  }

  private remember (scope: string, known: Known): void {
    if (this.known.size >= CACHED_SCOPES) this.known.delete(this.known.keys().next().value as string)
    this.known.set(scope, known)
  }
}
