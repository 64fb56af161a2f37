import type { Database as DatabaseHandle } from 'better-sqlite3'
import { openDatabase } from './sqlite-open.js'
import { isSqliteError, StoreError, StoreErrorCodes } from './store-error.js'

/** SQLite's codes for a file it can't read as a sound database. */
const DAMAGED = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB'])

/** Problems a check names at most in an error message (the `check` command lists them all). */
const SHOWN_PROBLEMS = 3

/**
 * `quick_check`: every page and record of every table and index is read and
 * its structure checked (about 0.2 s per 100,000 messages here, linear in
 * the file's size); `integrity_check` also checks that each index matches
 * its table (about as long again).
 */
export type CheckKind = 'quick_check' | 'integrity_check'

/** What a check found: nothing (sound), or SQLite's description of each problem. */
export function runCheck (db: DatabaseHandle, kind: CheckKind): string[] {
  try {
    const problems = (db.pragma(kind) as Array<Record<string, string>>).map(row => Object.values(row)[0])
    return problems.length === 1 && problems[0] === 'ok' ? [] : problems
  } catch (err) {
    // A page so damaged that the check can't go on: that is the finding.
    if (isSqliteError(err) && DAMAGED.has(err.code)) return [`${err.message} (${err.code})`]
    throw err
  }
}

/** A damaged database, as a typed error that says what to do. */
export function damaged (path: string, problems: string[], dataDir: string): StoreError {
  const shown = problems.slice(0, SHOWN_PROBLEMS).join('; ')
  const more = problems.length > SHOWN_PROBLEMS ? ` (and ${problems.length - SHOWN_PROBLEMS} more)` : ''
  return new StoreError(StoreErrorCodes.STORE_CORRUPT,
    `${path} is damaged: ${shown}${more}. Nothing was changed. \`chat-server check --data ${dataDir}\` lists every problem; ` +
    'restore the directory from a backup (or move it away and start with --init for an empty store).')
}

/**
 * Checks an existing database on a connection of its own, closed before the
 * server opens its own: the server starts with a cold page cache, so a page
 * damaged later is read from the file (and reported) rather than served
 * from memory. Throws `store_corrupt`, or `store_in_use` if another server
 * holds the file; returns how long the check took (ms).
 */
export function checkBeforeOpen (path: string, dataDir: string): number {
  const started = performance.now()
  const db = openDatabase(path, { fileMustExist: true })
  try {
    const problems = runCheck(db, 'quick_check')
    if (problems.length > 0) throw damaged(path, problems, dataDir)
  } catch (err) {
    if (isSqliteError(err) && err.code === 'SQLITE_BUSY') {
      throw new StoreError(StoreErrorCodes.STORE_IN_USE, `${path} is in use by another server`, { cause: err })
    }
    throw err
  } finally {
    db.close()
  }
  return performance.now() - started
}

/** What a full check of a database file found. */
export interface IntegrityReport {
  /** SQLite's description of each problem; empty when the file is sound. */
  problems: string[]
  ms: number
}

/**
 * The full `PRAGMA integrity_check` of an existing database file (the
 * `chat-server check` command), on a connection of its own. Throws
 * `store_in_use` if a server holds the file.
 */
export function checkIntegrity (path: string): IntegrityReport {
  const started = performance.now()
  const db = openDatabase(path, { fileMustExist: true })
  try {
    return { problems: runCheck(db, 'integrity_check'), ms: performance.now() - started }
  } catch (err) {
    if (isSqliteError(err) && err.code === 'SQLITE_BUSY') {
      throw new StoreError(StoreErrorCodes.STORE_IN_USE, `${path} is in use by a running server: stop it, then check`, { cause: err })
    }
    throw err
  } finally {
    db.close()
  }
}
