import { copyFileSync, existsSync, openSync, closeSync, rmSync, statSync, writeSync } from 'node:fs'
import { join } from 'node:path'
import { DATABASE_FILE, roomStream, SqliteStore } from '../src/index.js'
import type { MessageWrite } from '../src/index.js'

// Real SQLite files in the states a data directory can be found in: damaged, deleted, left half.

import { garbage } from '@chat/testing'

export { garbage }

/** SQLite's page size for our files: page 1 holds the header and the schema. */
export const PAGE = 4096

/** Overwrites `length` bytes of a file at `offset` with garbage (the file keeps its size). */
export function damage (path: string, offset: number, length: number, seed = 12): void {
  const fd = openSync(path, 'r+')
  try {
    writeSync(fd, garbage(seed, length), 0, length, offset)
  } finally {
    closeSync(fd)
  }
}

/** Garbage over every page but the first (header and schema): any table or index read from the file fails. */
export function damageAllButSchema (path: string): void {
  damage(path, PAGE, statSync(path).size - PAGE)
}

/** `count` messages of room `general`, ids 1..count, as one batch. */
export function roomMessages (count: number, room = 'general', from = 1): MessageWrite[] {
  return Array.from({ length: count }, (_, i) => ({
    message: { stream: roomStream(room), id: from + i, room, from: 'alice', text: `message ${from + i} `.padEnd(120, '.'), ts: 1_000 + i }
  }))
}

/** A data directory holding a database with `count` messages in `general`, closed (its WAL checkpointed and gone). */
export function databaseWith (dir: string, count: number): void {
  const store = new SqliteStore(dir)
  store.append(roomMessages(count))
  store.close()
}

/**
 * What a server killed with its WAL unmerged leaves, then `chat.db` deleted:
 * a real `chat.db-wal` (and `-shm`) beside no database. Made by copying them
 * while a store holds messages not yet checkpointed.
 */
export function walWithoutDatabase (dir: string, count: number): void {
  const store = new SqliteStore(dir)
  store.append(roomMessages(count))
  const copies = ['-wal', '-shm'].filter(suffix => existsSync(join(dir, DATABASE_FILE + suffix)))
  for (const suffix of copies) copyFileSync(join(dir, DATABASE_FILE + suffix), join(dir, `copy${suffix}`))
  store.close()
  rmSync(join(dir, DATABASE_FILE))
  for (const suffix of copies) copyFileSync(join(dir, `copy${suffix}`), join(dir, DATABASE_FILE + suffix))
  for (const suffix of copies) rmSync(join(dir, `copy${suffix}`))
}
