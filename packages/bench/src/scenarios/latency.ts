import { runLoad } from '../load/load-generator.js'
import type { LoadResult } from '../load/load-generator.js'
import type { TargetKind } from '../load/target.js'
import { ratio } from '../report.js'
import type { ScenarioReport } from '../report.js'
import { missingRow, runTargets } from './run-targets.js'
import type { TargetOutcome } from './run-targets.js'
import { NOISY_CORES } from './report-cells.js'
import { serverWindow } from '../targets/server-metrics.js'
import type { MetricSamples } from '../targets/server-metrics.js'

export interface LatencyOptions {
  subscribers: number
  ratePerSecond: number
  warmupMs: number
  measureMs: number
  drainMs: number
  /** Runs of the chat and baseline pair, at most, while other work disturbs them (default 3). */
  attempts?: number
}

/**
 * Latency at a fixed rate: one publisher sends `ratePerSecond` texts a second
 * (checked every millisecond) into a room of S subscribers; each text carries
 * its send time, and every delivery is timed when its socket read is handled.
 */
export async function latencyScenario (kinds: TargetKind[], o: LatencyOptions, log: (line: string) => void): Promise<ScenarioReport> {
  const run = async (targets: TargetKind[]): Promise<Array<TargetOutcome<LoadResult>>> => await runTargets(targets, async target => await runLoad(target, {
    subscribers: o.subscribers,
    publishers: 1,
    pacing: { ratePerSecond: o.ratePerSecond },
    warmupMs: o.warmupMs,
    measureMs: o.measureMs,
    drainMs: o.drainMs,
    latency: true
  }), log)
  const outcomes = await run(kinds)
  // A p99 measures the machine as much as the server: when other work took a core during the chat or
  // baseline window (p99 up to 4.7x the relay's, against 1.0-1.2x when quiet, BENCHMARKS.md), the pair runs again.
  const pair = kinds.filter(k => k.name === 'chat' || k.name === 'baseline')
  const attempts = [outcomes.filter(x => pair.some(k => k.name === x.target))]
  while (attempts.length < (o.attempts ?? 3) && disturbance(attempts[attempts.length - 1]) > NOISY_CORES) {
    log(`  other work used ${disturbance(attempts[attempts.length - 1])} of a core: chat and baseline again`)
    attempts.push(await run(pair))
  }
  if (attempts.length > 1) {
    const kept = attempts.reduce((best, a) => disturbance(a) < disturbance(best) ? a : best)
    const summary = attempts.map((a, i) => `run ${i + 1}: p99 ${String(ratio(p99Of(a, 'chat'), p99Of(a, 'baseline')))}x, other CPU ${disturbance(a)}`).join('; ')
    for (const x of kept) {
      const i = outcomes.findIndex(y => y.target === x.target)
      outcomes[i] = x
      x.result?.notes.push(`least disturbed of ${attempts.length} runs of the pair (${summary})`)
    }
  }
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
      { key: 'commits', header: 'commits/s' },
      { key: 'commitSizes', header: 'msgs / commit (mean, p50, p99)' },
      { key: 'loopDelay', header: 'loop delay p50 / p99 / max (ms)' },
      { key: 'gc', header: 'GC: young ms/s (n), full ms/s (n), longest ≤ ms' },
      { key: 'loadCores', header: 'load gen CPU' },
      { key: 'otherCores', header: 'other CPU' },
      { key: 'notes', header: 'notes' }
    ],
    rows: outcomes.map(x => {
      const r = x.result
      if (r === undefined) return missingRow(x)
      const probe = r.probe as { from?: MetricSamples, to?: MetricSamples } | undefined
      const w = probe?.from !== undefined && probe.to !== undefined ? serverWindow(probe.from, probe.to) : undefined
      const per = (n: number): number => Math.round(n / r.seconds * 10) / 10
      const ms = (n: number | undefined): string => n === undefined ? '?' : String(Math.round(n * 100) / 100)
      return {
        ...r,
        commits: w === undefined ? undefined : per(w.commits),
        commitSizes: w === undefined ? undefined : `${Math.round(w.messagesPerCommit * 10) / 10}, ≤ ${w.commitP50 ?? '?'}, ≤ ${w.commitP99 ?? '?'}`,
        loopDelay: w === undefined ? undefined : `${ms(w.loopDelayP50Ms)} / ${ms(w.loopDelayP99Ms)} / ${ms(w.loopDelayMaxMs)}`,
        gc: w === undefined ? undefined : `${per(w.minorGcMs)} (${w.minorGcs}), ${per(w.majorGcMs)} (${w.majorGcs}), ${ms(w.longestGcMs)}`,
        p50: r.latency?.p50Ms,
        p90: r.latency?.p90Ms,
        p99: r.latency?.p99Ms,
        p999: r.latency?.p999Ms,
        max: r.latency?.maxMs,
        p99xBaseline: ratio(r.latency?.p99Ms, baseline?.latency?.p99Ms),
        notes: r.notes.join('; ')
      }
    }),
    notes: [
      'Our server\'s own figures over the measured window, from its /metrics read at the start and the end of it: group commits per second and ' +
      'their sizes (mean, and the histogram buckets holding the median and the 99th percentile); the event loop\'s delay ' +
      '(how much later than due a timer of perf_hooks.monitorEventLoopDelay fired, every 10 ms); garbage collection, ms of pause per second and how many, young generation ' +
      '(scavenges) and whole heap (mark-compact, with incremental marking steps), and the bucket bound of the longest pause.'
    ],
    results: outcomes.map(x => ({ target: x.target, ...x.result, skipped: x.skipped, error: x.error }))
  }
}

/** The most CPU other work took during any window of these runs. */
function disturbance (outcomes: Array<TargetOutcome<LoadResult>>): number {
  return Math.max(0, ...outcomes.map(x => x.result?.otherCores ?? 0))
}

function p99Of (outcomes: Array<TargetOutcome<LoadResult>>, target: string): number | undefined {
  return outcomes.find(x => x.target === target)?.result?.latency?.p99Ms
}
