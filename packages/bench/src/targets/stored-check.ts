import { roomStream } from '@chat/server'
import type { StoredMessage, StreamKey } from '@chat/server'
import { runLoad } from '../load/load-generator.js'
import type { LoadPlan, LoadResult } from '../load/load-generator.js'
import type { LoadTarget } from '../load/target.js'
import type { TextFields } from '../load/message-text.js'
import { parseTextString } from '../load/message-text.js'

/** A store's messages of a room, read after the load. */
export interface StoredReader {
  readAfter: (stream: StreamKey, after: number, limit: number) => Promise<StoredMessage[]> | StoredMessage[]
  close: () => void
}

/** A target whose store can be read after the run, to check what was acknowledged was stored. */
export interface StoredTarget extends LoadTarget {
  /** Opens the store for reading (a server that holds its store exclusively is stopped first). */
  storedReader: () => Promise<StoredReader>
}

export interface StoredCheck {
  /** Messages found in the rooms checked. */
  stored: number
  /** What was wrong: ids not 1, 2, 3, ... in a room; a publisher's texts missing, doubled or out of order; fewer than it sent. */
  problems: string[]
}

const PAGE = 10_000

/**
 * Reads every message of each room (`rooms[i]` holds the texts of the
 * publishers `publishersIn[i]`) and checks them against what each publisher
 * sent (`sentBy`): ids 1, 2, 3, ... with no gap, and each publisher's texts
 * numbered 0 to sentBy - 1, each once, in order. With every send
 * acknowledged, that is "every acknowledged message stored, once, in order".
 */
export async function checkStored (reader: StoredReader, rooms: string[], publishersIn: number[][], sentBy: number[]): Promise<StoredCheck> {
  const problems: string[] = []
  const problem = (text: string): void => { if (problems.length < 5) problems.push(text) }
  const fields: TextFields = { publisher: 0, seq: 0, sentMicros: 0 }
  let stored = 0
  for (let r = 0; r < rooms.length; r++) {
    const room = rooms[r]
    const next = new Map(publishersIn[r].map(p => [p, 0]))
    let after = 0
    for (;;) {
      const page = await reader.readAfter(roomStream(room), after, PAGE)
      for (const m of page) {
        if (m.id !== after + 1) problem(`${room}: id ${m.id} after ${after}`)
        after = m.id
        stored++
        if (!parseTextString(m.text, fields) || !next.has(fields.publisher)) { problem(`${room}: id ${m.id} is not a text of this room's publishers`); continue }
        const expected = next.get(fields.publisher)!
        if (fields.seq !== expected) problem(`${room}: publisher ${fields.publisher}'s text ${fields.seq} where ${expected} was next (id ${m.id})`)
        next.set(fields.publisher, Math.max(expected, fields.seq + 1))
      }
      if (page.length < PAGE) break
    }
    for (const [p, n] of next) if (n !== sentBy[p]) problem(`${room}: publisher ${p} sent ${sentBy[p]} texts, ${n} stored`)
  }
  return { stored, problems }
}

/** A load's result, and the check of what its target stored. */
export interface Checked {
  load: LoadResult
  /** Undefined for a store that can't be read after the run (memory). */
  check?: StoredCheck
}

/** A run that counts: the load lost, reordered and left unacknowledged nothing, and the store (if read) holds every send once, in order. */
export function checkedValid (checked: Checked | undefined): boolean {
  return checked !== undefined && checked.load.valid && (checked.check === undefined || checked.check.problems.length === 0)
}

/** What a run's row notes: the load's notes, then the check's problems. */
export function checkedNotes (checked: Checked | undefined): string[] {
  return [...checked?.load.notes ?? [], ...checked?.check?.problems ?? []]
}

/** Runs the load, then (for a target whose store can be read) checks every room's messages against what was sent. */
export async function loadAndCheck (target: LoadTarget, plan: LoadPlan, rooms: string[], publishersIn: number[][]): Promise<Checked> {
  const load = await runLoad(target, plan)
  const storedTarget = target as Partial<StoredTarget>
  if (storedTarget.storedReader === undefined) return { load }
  const reader = await storedTarget.storedReader()
  try {
    return { load, check: await checkStored(reader, rooms, publishersIn, load.sentBy) }
  } finally {
    reader.close()
  }
}
