import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onEmergencyExit } from '../child-processes.js'
import { runLoad } from '../load/load-generator.js'
import type { LoadResult } from '../load/load-generator.js'
import type { TargetKind } from '../load/target.js'
import { ratio } from '../report.js'
import type { ScenarioReport } from '../report.js'
import { baselineTarget } from '../targets/baseline-target.js'
import { chatTarget } from '../targets/chat-target.js'
import { missingRow, runTargets } from './run-targets.js'

export interface IngestOptions {
  publishers: number
  window: number
  warmupMs: number
  measureMs: number
  drainMs: number
}

/**
 * Durable ingest: acknowledged sends per second, a room per publisher (the
 * figure is about storing, not fan-out), with the server on its SQLite store
 * (fsync per commit, or at checkpoints) and on its in-memory store, which is
 * the reference; the line-relay baseline (which stores nothing) for scale.
 */
export async function durableIngestScenario (o: IngestOptions, log: (line: string) => void): Promise<ScenarioReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chat-bench-'))
  const removeDataDir = onEmergencyExit(() => { rmSync(dataDir, { recursive: true, force: true }) })
  const kinds: TargetKind[] = [
    chatTarget('chat, memory store', ['--memory']),
    chatTarget('chat, sqlite, durability full', ['--data', join(dataDir, 'full'), '--durability', 'full']),
    chatTarget('chat, sqlite, durability normal', ['--data', join(dataDir, 'normal'), '--durability', 'normal']),
    baselineTarget()
  ]
  try {
    const outcomes = await runTargets(kinds, async target => await runLoad(target, {
      subscribers: 0,
      publishers: o.publishers,
      roomPerPublisher: true,
      pacing: { window: o.window },
      warmupMs: o.warmupMs,
      measureMs: o.measureMs,
      drainMs: o.drainMs
    }), log)
    const memory: LoadResult | undefined = outcomes[0].result
    const baseline: LoadResult | undefined = outcomes[3].result
    return {
      scenario: 'durable-ingest',
      title: `Durable ingest: ${o.publishers} publishers, a room each, ${o.window} sends in flight each, 64-byte texts, ` +
        `${o.measureMs / 1000} s after ${o.warmupMs / 1000} s warm-up`,
      columns: [
        { key: 'target', header: 'target' },
        { key: 'ackedPerSecond', header: 'acked/s' },
        { key: 'xMemory', header: '× memory store' },
        { key: 'xBaseline', header: '× baseline' },
        { key: 'valid', header: 'valid' },
        { key: 'serverCores', header: 'server CPU' },
        { key: 'loadCores', header: 'load gen CPU' },
        { key: 'otherCores', header: 'other CPU' },
        { key: 'notes', header: 'notes' }
      ],
      rows: outcomes.map(x => x.result === undefined
        ? missingRow(x)
        : {
            ...x.result,
            xMemory: ratio(x.result.ackedPerSecond, memory?.ackedPerSecond),
            xBaseline: ratio(x.result.ackedPerSecond, baseline?.ackedPerSecond),
            notes: x.result.notes.join('; ')
          }),
      notes: ['The baseline stores nothing: its "ack" is its own line echoed back.'],
      results: outcomes.map(x => ({ target: x.target, ...x.result, skipped: x.skipped, error: x.error }))
    }
  } finally {
    removeDataDir()
  }
}
