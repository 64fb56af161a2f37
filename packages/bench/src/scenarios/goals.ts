import type { Cell, ScenarioReport } from '../report.js'

import { NOISY_CORES, numberCell } from './report-cells.js'

export { NOISY_CORES }

/**
 * The targets of issue 4 next to what this run measured. A goal whose
 * scenario did not run (or a target that was skipped) shows as not measured.
 */
export function goalsReport (reports: ScenarioReport[]): ScenarioReport {
  const chat = (scenario: string): Record<string, Cell> | undefined =>
    reports.find(r => r.scenario === scenario)?.rows.find(row => row.target === 'chat')
  const num = numberCell
  const rows: Array<Record<string, Cell>> = []
  const goal = (name: string, wanted: string, measured: number | undefined, met: (v: number) => boolean, unit = ''): void => {
    rows.push({ goal: name, wanted, measured: measured === undefined ? 'not measured' : `${measured}${unit}`, met: measured === undefined ? undefined : met(measured) })
  }
  for (const scenario of ['fanout-s100-p1', 'fanout-s10-p10']) {
    const row = chat(scenario)
    goal(`${scenario}: deliveries/s vs baseline`, '≥ 0.8×', num(row?.xBaseline), v => v >= 0.8, '×')
    goal(`${scenario}: deliveries/s vs socket.io`, '≥ 3×', num(row?.xSocketio), v => v >= 3, '×')
  }
  const slow = chat('latency-1000')
  goal('latency at 100k deliveries/s: p99 vs baseline', '≤ 2×', num(slow?.p99xBaseline), v => v <= 2, '×')
  const fast = chat('latency-5000')
  goal('latency at 500k deliveries/s: deliveries lost', '0', fast?.valid === undefined ? undefined : (num(fast?.lost) ?? 0) + (num(fast?.outOfOrder) ?? 0), v => v === 0 && fast?.valid === true)
  // Per-connection memory is only comparable at scale: with a few hundred connections, fixed costs dominate.
  const scale = chat('connection-scale')
  const atScale = (num(scale?.connected) ?? 0) >= 10_000
  goal('10,000 idle connections: server memory each', '≤ 10 KiB', atScale ? num(scale?.kibPerConnection) : undefined, v => v <= 10, ' KiB')
  if (scale !== undefined && !atScale) rows[rows.length - 1].measured = `not measured at 10,000 (${String(scale.connected)} connected: ${String(scale.kibPerConnection)} KiB each)`
  const sdk = reports.find(r => r.scenario === 'sdk-consume')?.rows[0]
  goal('SDK messages() over a prerecorded stream', '≥ 1,000,000/s', num(sdk?.messagesPerSecond), v => v >= 1_000_000 && sdk?.inOrder === true, '/s')
  const noisy = reports.flatMap(r => r.rows
    .filter(row => typeof row.otherCores === 'number' && row.otherCores > NOISY_CORES)
    .map(row => `${r.scenario} ${String(row.target)} (${String(row.otherCores)})`))
  const notes: string[] = []
  if (noisy.length > 0) {
    notes.push(`Other work used more than ${NOISY_CORES} of a core during: ${noisy.join(', ')}. Those figures are disturbed: rerun on a quiet machine.`)
  }
  return targetsTable('goals', 'Targets (issue 4), our server in this run', rows, notes)
}

/** A table of targets: what was wanted, what was measured, met or not (the shape every goals report shares). */
export function targetsTable (scenario: string, title: string, rows: Array<Record<string, Cell>>, notes: string[]): ScenarioReport {
  return {
    scenario,
    title,
    columns: [
      { key: 'goal', header: 'target' },
      { key: 'wanted', header: 'wanted' },
      { key: 'measured', header: 'measured' },
      { key: 'met', header: 'met' }
    ],
    rows,
    notes,
    results: rows
  }
}
