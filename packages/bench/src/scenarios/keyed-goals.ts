import type { Cell, ScenarioReport } from '../report.js'
import { INGEST_ROWS } from './durable-ingest.js'
import { targetsTable } from './goals.js'
import { disturbedNote, findRow, numberCell } from './report-cells.js'
import { PAIR_ROWS } from './sdk-pair.js'

/** Issue 15's target for SDK to SDK, one publisher and one subscriber, msgs/s. */
export const SDK_PAIR_TARGET = 100_000
/** Issue 15's target for keyed sends (as the SDK sends) against unkeyed ones, acknowledged/s. */
export const KEYED_RATIO_TARGET = 0.8

/**
 * Issue 15's first targets (keyed sends, SDK to SDK) next to what this run
 * measured, with the rows measured beside them. A row that did not run shows
 * as not measured; one that was not valid does not meet its target.
 */
export function keyedGoalsReport (reports: ScenarioReport[]): ScenarioReport {
  const find = (scenario: string, target: string): Record<string, Cell> | undefined => findRow(reports, scenario, target)
  const num = numberCell
  const disturbed = disturbedNote
  const rows: Array<Record<string, Cell>> = []
  const keyed = find('durable-ingest', INGEST_ROWS.fullKeyed)
  const keyedRatio = num(keyed?.xUnkeyed)
  rows.push({
    goal: 'durable ingest (SQLite full): keyed sends (keys as the SDK makes them) vs unkeyed, acked/s',
    wanted: `≥ ${KEYED_RATIO_TARGET}×`,
    measured: keyedRatio === undefined ? 'not measured' : `${keyedRatio}× (${String(num(keyed?.ackedPerSecond)?.toLocaleString('en-US'))}/s)${disturbed(keyed)}`,
    met: keyedRatio === undefined ? undefined : keyedRatio >= KEYED_RATIO_TARGET && keyed?.valid === true
  })
  const sdk = find('sdk-pair', PAIR_ROWS.sdk)
  const sdkRate = num(sdk?.deliveriesPerSecond)
  rows.push({
    goal: 'SDK → server (SQLite full) → SDK, 1 publisher × 1 subscriber, msgs/s',
    wanted: `≥ ${SDK_PAIR_TARGET.toLocaleString('en-US')}/s`,
    measured: sdkRate === undefined ? 'not measured' : `${sdkRate.toLocaleString('en-US')}/s (${String(num(sdk?.xUnkeyed))}× the unkeyed adapter)${disturbed(sdk)}`,
    met: sdkRate === undefined ? undefined : sdkRate >= SDK_PAIR_TARGET && sdk?.valid === true
  })
  const measured = (goal: string, r: Record<string, Cell> | undefined, rate: Cell, against: string): void => {
    const value = num(rate)
    rows.push({
      goal,
      wanted: 'measured',
      measured: value === undefined ? 'not measured' : `${value.toLocaleString('en-US')}/s (${String(num(r?.xUnkeyed))}× ${against})${disturbed(r)}`,
      met: undefined
    })
  }
  const sdkIngest = find('durable-ingest', INGEST_ROWS.fullSdk)
  measured('durable ingest (SQLite full) through the SDK\'s send()', sdkIngest, sdkIngest?.ackedPerSecond, 'unkeyed')
  const pairKeyed = find('sdk-pair', PAIR_ROWS.keyed)
  measured('1 × 1, protocol adapter, keyed', pairKeyed, pairKeyed?.deliveriesPerSecond, 'unkeyed')
  const pairMemory = find('sdk-pair', PAIR_ROWS.sdkMemory)
  measured('1 × 1, SDK both ends, memory store', pairMemory, pairMemory?.deliveriesPerSecond, 'the unkeyed adapter on SQLite')
  return targetsTable('goals-keyed', 'Targets (issue 15): keyed sends and SDK to SDK, in this run', rows,
    ['A row that was not valid (lost, reordered, unacknowledged or not stored once) does not meet its target. 2 cores: the server and the load generator share them.'])
}
