import { runLoad } from '../load/load-generator.js'
import type { LoadResult } from '../load/load-generator.js'
import type { TargetKind } from '../load/target.js'
import { ratio } from '../report.js'
import type { ScenarioReport } from '../report.js'
import { missingRow, runTargets } from './run-targets.js'

export interface LatencyOptions {
  subscribers: number
  ratePerSecond: number
  warmupMs: number
  measureMs: number
  drainMs: number
}

/**
 * Latency at a fixed rate: one publisher sends `ratePerSecond` texts a second
 * (checked every millisecond) into a room of S subscribers; each text carries
 * its send time, and every delivery is timed when its socket read is handled.
 */
export async function latencyScenario (kinds: TargetKind[], o: LatencyOptions, log: (line: string) => void): Promise<ScenarioReport> {
  const outcomes = await runTargets(kinds, async target => await runLoad(target, {
    subscribers: o.subscribers,
    publishers: 1,
    pacing: { ratePerSecond: o.ratePerSecond },
    warmupMs: o.warmupMs,
    measureMs: o.measureMs,
    drainMs: o.drainMs,
    latency: true
  }), log)
  const baseline: LoadResult | undefined = outcomes.find(x => x.target === 'baseline')?.result
  return {
    scenario: `latency-${o.ratePerSecond}`,
    title: `Latency: ${o.ratePerSecond.toLocaleString('en-US')} texts/s into a room of ${o.subscribers} ` +
      `(${(o.ratePerSecond * o.subscribers).toLocaleString('en-US')} deliveries/s), ${o.measureMs / 1000} s after ${o.warmupMs / 1000} s warm-up, milliseconds`,
    columns: [
      { key: 'target', header: 'target' },
      { key: 'deliveriesPerSecond', header: 'deliveries/s' },
      { key: 'p50', header: 'p50' },
      { key: 'p90', header: 'p90' },
      { key: 'p99', header: 'p99' },
      { key: 'p999', header: 'p99.9' },
      { key: 'max', header: 'max' },
      { key: 'p99xBaseline', header: 'p99 × baseline' },
      { key: 'lost', header: 'lost' },
      { key: 'outOfOrder', header: 'out of order' },
      { key: 'valid', header: 'valid' },
      { key: 'serverCores', header: 'server CPU' },
      { key: 'loadCores', header: 'load gen CPU' },
      { key: 'otherCores', header: 'other CPU' },
      { key: 'notes', header: 'notes' }
    ],
    rows: outcomes.map(x => {
      const r = x.result
      if (r === undefined) return missingRow(x)
      return {
        ...r,
        p50: r.latency?.p50Ms,
        p90: r.latency?.p90Ms,
        p99: r.latency?.p99Ms,
        p999: r.latency?.p999Ms,
        max: r.latency?.maxMs,
        p99xBaseline: ratio(r.latency?.p99Ms, baseline?.latency?.p99Ms),
        notes: r.notes.join('; ')
      }
    }),
    notes: [],
    results: outcomes.map(x => ({ target: x.target, ...x.result, skipped: x.skipped, error: x.error }))
  }
}
