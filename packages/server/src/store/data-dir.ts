import { randomUUID } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { StoreError, StoreErrorCodes } from './store-error.js'

/**
 * Written into the data directory when the server creates a database there
 * (or first opens one made before this file existed). Its presence says a
 * database existed: a `chat.db` gone missing is then refused, instead of
 * starting an empty store whose ids restart at 1 and whose accounts are gone.
 */
export const MARKER_FILE = '.chat-store'

/** What the marker holds: which database, made when. */
export interface StoreMarker {
  store: string
  created: string
}

/** The files SQLite keeps beside a database in WAL mode: left over, they too say a database was here. */
const SIDE_FILES = ['-wal', '-shm']

/** The marker of a data directory, if it has one (a marker we can't read still counts as one). */
export function readMarker (dataDir: string): StoreMarker | undefined {
  const path = join(dataDir, MARKER_FILE)
  if (!existsSync(path)) return undefined
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StoreMarker
  } catch {
    return { store: 'unknown', created: 'unknown' }
  }
}

/** Writes the marker: for a database just created (`replace`: a new one, whatever marker was there), or unless there is one. */
export function writeMarker (dataDir: string, replace: boolean): void {
  const path = join(dataDir, MARKER_FILE)
  if (!replace && existsSync(path)) return
  const marker: StoreMarker = { store: randomUUID(), created: new Date().toISOString() }
  writeFileSync(path, `${JSON.stringify(marker)}\n`)
}

/** Why the directory looks like it held a database, or undefined if it doesn't. */
function evidenceOfDatabase (dataDir: string, file: string): string | undefined {
  const marker = readMarker(dataDir)
  if (marker !== undefined) return `${MARKER_FILE} says database ${marker.store} was created here on ${marker.created}`
  const left = SIDE_FILES.map(suffix => file + suffix).filter(name => existsSync(join(dataDir, name)))
  if (left.length > 0) return `${left.join(' and ')} ${left.length === 1 ? 'is' : 'are'} left from it`
  return undefined
}

/**
 * Before the database is opened: makes the directory, and refuses to go on
 * (`store_missing`) if `file` is gone (or empty) in a directory that held
 * one, unless `init` allows a new one. Then a `-wal` or `-shm` file left from the old
 * database is moved aside (renamed `<name>.orphaned-<time>`): SQLite would
 * otherwise apply the old log to the new file. Returns what it moved.
 */
export function prepareDataDir (dataDir: string, file: string, init: boolean): string[] {
  mkdirSync(dataDir, { recursive: true })
  const path = join(dataDir, file)
  const exists = existsSync(path)
  // An empty file is a database replaced or truncated: SQLite would take it for a new one.
  if (exists && statSync(path).size > 0) return []
  const evidence = evidenceOfDatabase(dataDir, file)
  if (evidence === undefined) return []
  if (!init) {
    throw new StoreError(StoreErrorCodes.STORE_MISSING,
      `${path} is ${exists ? 'empty' : 'missing'}, but a database existed in ${dataDir} (${evidence}). ` +
      `Restore it from a backup; or start with --init (ServerOptions.init) to ${exists ? 'use the empty file' : 'create a new, empty one'}.`)
  }
  const moved: string[] = []
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  for (const suffix of SIDE_FILES) {
    const name = file + suffix
    if (!existsSync(join(dataDir, name))) continue
    renameSync(join(dataDir, name), join(dataDir, `${name}.orphaned-${stamp}`))
    moved.push(name)
  }
  return moved
}
