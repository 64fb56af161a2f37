import type { Cell, ScenarioReport } from '../report.js'

/** Cores busy with other work (not the server, not the load generator) above which a figure is disturbed. */
export const NOISY_CORES = 0.25

/** The row of `target` in the report of `scenario`, if both ran. */
export function findRow (reports: readonly ScenarioReport[], scenario: string, target: string): Record<string, Cell> | undefined {
  return reports.find(r => r.scenario === scenario)?.rows.find(row => row.target === target)
}

/** A cell's number, if it holds a finite one. */
export function numberCell (cell: Cell): number | undefined {
  return typeof cell === 'number' && Number.isFinite(cell) ? cell : undefined
}

/** `; disturbed: other CPU …` when other work took more than NOISY_CORES during any of these rows, else nothing. */
export function disturbedNote (...rows: Array<Record<string, Cell> | undefined>): string {
  const other = Math.max(0, ...rows.map(r => numberCell(r?.otherCores) ?? 0))
  return other > NOISY_CORES ? `; disturbed: other CPU ${rows.length > 1 ? 'up to ' : ''}${other}` : ''
}
