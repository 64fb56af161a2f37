import Database from 'better-sqlite3'
import type { Database as DatabaseHandle } from 'better-sqlite3'

/** The code of the error thrown when better-sqlite3's native module is missing or built for another Node. */
export const SQLITE_BINDING_MISSING = 'sqlite_binding_missing'

/**
 * Opens the database file. pnpm 10 skips dependency build scripts unless
 * allowed, which leaves better-sqlite3 without its native module: that
 * failure says how to fix it instead of listing the paths it tried.
 */
export function openDatabase (path: string, options: { fileMustExist?: boolean } = {}): DatabaseHandle {
  try {
    // timeout 0: a directory another server holds is refused at once, not after a 5 s wait.
    return new Database(path, { timeout: 0, ...options })
  } catch (err) {
    const { code, message } = err as { code?: string, message?: string }
    if (code !== 'ERR_DLOPEN_FAILED' && message?.includes('Could not locate the bindings file') !== true) throw err
    throw Object.assign(new Error(
      'the SQLite store needs better-sqlite3\'s native module, which is not built for this Node.js. ' +
      'With pnpm 10, allow its build: `pnpm add @chat/server --allow-build=better-sqlite3` ' +
      '(or `pnpm approve-builds`, then `pnpm rebuild better-sqlite3`); with npm: `npm rebuild better-sqlite3`. ' +
      'Or run with --memory.', { cause: err }), { code: SQLITE_BINDING_MISSING })
  }
}
