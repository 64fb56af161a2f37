import { ErrorCodes } from '@chat/protocol'

/**
 * Stable codes of what can go wrong with the store. `storage_error` is a read
 * or a write that failed while the server runs (the request that needed it
 * is refused with that code, on the wire too); the others stop the server
 * from starting.
 */
export const StoreErrorCodes = {
  /** A read or a write failed (a damaged file, an I/O error, a full disk). */
  STORAGE_ERROR: ErrorCodes.STORAGE_ERROR,
  /** The data directory held a database that is gone: starting would begin again from nothing. */
  STORE_MISSING: 'store_missing',
  /** The database file is damaged, or is not a database. */
  STORE_CORRUPT: 'store_corrupt',
  /** Another server has the database open. */
  STORE_IN_USE: 'store_in_use'
} as const

export type StoreErrorCode = typeof StoreErrorCodes[keyof typeof StoreErrorCodes]

export class StoreError extends Error {
  override name = 'StoreError'

  constructor (readonly code: StoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/** True for an error of SQLite itself (better-sqlite3's `SqliteError`: a code `SQLITE_...`), not of our code. */
export function isSqliteError (err: unknown): err is Error & { code: string } {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && code.startsWith('SQLITE_')
}

/** A failed read or write, as the server reports it: what was being done, and SQLite's reason. */
export function storageError (what: string, err: unknown): unknown {
  if (!isSqliteError(err)) return err
  return new StoreError(StoreErrorCodes.STORAGE_ERROR, `${what} failed: ${err.message} (${err.code})`, { cause: err })
}

/** True for a failed read or write of the store (a custom store may throw its own `StoreError` too). */
export function isStorageError (err: unknown): err is StoreError {
  return err instanceof StoreError && err.code === StoreErrorCodes.STORAGE_ERROR
}
