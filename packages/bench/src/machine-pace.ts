/**
 * The machine's pace: one fixed CPU-bound loop with nothing of ours in it
 * (UTF-8 decode + JSON.parse of chat-message bodies, the `sdk` scenario's
 * floor row), timed between scenarios in a fresh Node process (this one's
 * heap, grown by the scenarios' load generators, would slow its collector).
 * On this shared VM one build's figures move with it, by up to 2× between
 * runs (BENCHMARKS.md, six full runs): a slow window then shows as one, next
 * to the rows measured in it.
 *
 *   node packages/bench/dist/src/machine-pace.js     # prints parses/s
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Pace, ScenarioReport } from './report.js'
import { jsonBodies, parseEach } from './scenarios/recorded-messages.js'

const execFileAsync = promisify(execFile)
const SELF = fileURLToPath(import.meta.url)

/**
 * Bodies parsed per pass (about 6 ms of a pass on this VM): short passes over
 * a small live set, so that the collector's rhythm moves a pass less than the
 * machine does.
 */
const BODIES = 10_000
/** Passes timed after one untimed (the first warms the JIT up); the pace is their median (about 1 s in all). */
const PASSES = 151

/** One pass of the loop over `bodies` (messages 1..n): parses a second. Throws if the loop misread them. */
export function paceOfPass (bodies: readonly Uint8Array[]): number {
  const started = process.hrtime.bigint()
  parseEach(bodies)
  return bodies.length / (Number(process.hrtime.bigint() - started) / 1e9)
}

/** The pace in this process: the median of `PASSES` timed passes after a warm-up one. */
export function paceHere (bodies: readonly Uint8Array[] = jsonBodies(BODIES)): number {
  paceOfPass(bodies)
  const paces = Array.from({ length: PASSES }, () => paceOfPass(bodies)).sort((a, b) => a - b)
  return paces[Math.floor(PASSES / 2)]
}

/** The pace in a fresh Node process (about 0.5 s). */
export async function machinePace (): Promise<number> {
  const { stdout } = await execFileAsync(process.execPath, [SELF])
  const pace = Number(stdout)
  if (!Number.isFinite(pace) || pace <= 0) throw new Error(`machine-pace.js printed ${JSON.stringify(stdout)}`)
  return pace
}

/** Millions, two digits after the point: 1864305 → "1.86M". */
function millions (perSecond: number): string {
  return `${(perSecond / 1e6).toFixed(2)}M`
}

/** The note under a scenario's table. */
export function paceNote (pace: Pace): string {
  return `The machine's pace (one fixed loop, UTF-8 decode + JSON.parse of message bodies, in a fresh process between scenarios; ` +
    `on a shared VM it moves, and the rows with it): ${millions(pace.before)} parses/s just before this scenario, ${millions(pace.after)} just after.`
}

/**
 * The note under the last targets table: the pace through the whole run,
 * between the scenarios in the order they ran (one's after is the next
 * one's before), so each target can be read against the pace around the
 * scenario of its row.
 */
export function paceTimeline (reports: readonly ScenarioReport[]): string | undefined {
  const paced = reports.filter(r => r.pace !== undefined)
  if (paced.length === 0) return undefined
  const steps = paced.map(r => `${r.scenario} → ${millions(r.pace!.after)}`).join(', ')
  return `The machine's pace through the run (parses/s of one fixed JSON loop, taken between scenarios; see each scenario's note): ${millions(paced[0].pace!.before)}, ${steps}.`
}

if (process.argv[1] === SELF) {
  process.stdout.write(String(Math.round(paceHere())))
}
