import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { readMarker } from './store/data-dir.js'
import { checkIntegrity } from './store/sqlite-integrity.js'
import { DATABASE_FILE } from './store/sqlite-store.js'
import { StoreErrorCodes } from './store/store-error.js'

export const CHECK_USAGE = `Usage: chat-server check [--data <dir>]

  Reads the whole database of a data directory with SQLite's integrity_check
  (every page, record and index) and prints "ok", or each problem found.
  Exit code 0: sound; 1: damaged, missing, or in use (stop the server first).

  --data <dir>   data directory (default ./data)
  -h, --help     show this help`

/** `chat-server check`: returns the exit code; prints the verdict on stdout, why it could not check on stderr. */
export function runCheckCommand (args: string[]): number {
  let data: string
  try {
    const { values } = parseArgs({ args, options: { data: { type: 'string', default: './data' }, help: { type: 'boolean', short: 'h' } } })
    if (values.help === true) {
      console.log(CHECK_USAGE)
      return 0
    }
    data = values.data
  } catch (err) {
    console.error(`chat-server check: ${(err as Error).message}\n\n${CHECK_USAGE}`)
    return 2
  }
  const path = join(data, DATABASE_FILE)
  if (!existsSync(path)) {
    const marker = readMarker(data)
    console.error(`chat-server check: ${StoreErrorCodes.STORE_MISSING}: there is no ${path}` +
      (marker === undefined ? '' : `, but database ${marker.store} was created there on ${marker.created}`))
    return 1
  }
  try {
    const { problems, ms } = checkIntegrity(path)
    if (problems.length === 0) {
      console.log(`ok: ${path} (integrity_check, ${Math.round(ms)} ms)`)
      return 0
    }
    console.log(`${path} is damaged: ${problems.length} problem(s) found by integrity_check`)
    for (const problem of problems) console.log(`  ${problem}`)
    return 1
  } catch (err) {
    const { code, message } = err as Error & { code?: unknown }
    console.error(`chat-server check: ${typeof code === 'string' ? `${code}: ` : ''}${message}`)
    return 1
  }
}
