import type { Cell, ScenarioReport } from '../report.js'
import { targetsTable } from './goals.js'
import { disturbedNote, findRow, numberCell } from './report-cells.js'

/**
 * Issue 15's targets for the server's fan-out, its latency at 500k
 * deliveries/s and its idle connections, next to what this run measured:
 * each a ratio to the baseline (the line relay) of the same run. A row that
 * did not run shows as not measured; one that was not valid does not meet
 * its target; one that other work disturbed says so.
 */
export function fanoutGoalsReport (reports: ScenarioReport[]): ScenarioReport {
  const find = (scenario: string, target: string): Record<string, Cell> | undefined => findRow(reports, scenario, target)
  const num = numberCell
  const disturbed = disturbedNote
  const rows: Array<Record<string, Cell>> = []
  const goal = (name: string, wanted: string, value: number | undefined, met: (v: number) => boolean, detail: string, valid: boolean): void => {
    rows.push({ goal: name, wanted, measured: value === undefined ? 'not measured' : `${value}× (${detail})`, met: value === undefined ? undefined : met(value) && valid })
  }
  const busy = find('fanout-s10-p10', 'chat')
  const busyBase = find('fanout-s10-p10', 'baseline')
  const validBusy = busy?.valid === true
  goal('fan-out 10×10: deliveries/s vs baseline', '≥ 0.8×', num(busy?.xBaseline), v => v >= 0.8,
    `${String(num(busy?.deliveriesPerSecond)?.toLocaleString('en-US'))} against ${String(num(busyBase?.deliveriesPerSecond)?.toLocaleString('en-US'))}${disturbed(busy, busyBase)}`, validBusy)
  goal('fan-out 10×10: server CPU per delivery vs baseline', '≤ 1.5×', num(busy?.xBaselineServerCost), v => v <= 1.5,
    `${String(num(busy?.serverNsPerDelivery))} ns against ${String(num(busyBase?.serverNsPerDelivery))}${disturbed(busy, busyBase)}`, validBusy)
  const wide = find('fanout-s100-p1', 'chat')
  const wideBase = find('fanout-s100-p1', 'baseline')
  goal('fan-out 100×1: server CPU per delivery vs baseline', '≤ 1.0×', num(wide?.xBaselineServerCost), v => v <= 1.0,
    `${String(num(wide?.serverNsPerDelivery))} ns against ${String(num(wideBase?.serverNsPerDelivery))}${disturbed(wide, wideBase)}`, wide?.valid === true)
  const fast = find('latency-5000', 'chat')
  const fastBase = find('latency-5000', 'baseline')
  goal('latency at 500k deliveries/s: p99 vs baseline', '≤ 2×', num(fast?.p99xBaseline), v => v <= 2,
    `${String(num(fast?.p99))} ms against ${String(num(fastBase?.p99))}${disturbed(fast, fastBase)}`, fast?.valid === true)
  const scale = find('connection-scale', 'chat')
  const kib = (num(scale?.connected) ?? 0) >= 10_000 ? num(scale?.kibPerConnection) : undefined
  rows.push({
    goal: '10,000 idle connections: server memory each',
    wanted: '≤ 8 KiB',
    measured: kib === undefined ? 'not measured (at 10,000)' : `${kib} KiB`,
    met: kib === undefined ? undefined : kib <= 8
  })
  return targetsTable('goals-fanout', 'Targets (issue 15): the server\'s fan-out, latency at 500k deliveries/s and idle connections, in this run', rows,
    ['Ratios to the baseline (the line relay) of the same run. A row that was not valid (lost, reordered, unacknowledged) does not meet its target. ' +
     '2 cores: the server and the load generator share them, so deliveries/s is bounded by both their costs per delivery.'])
}
