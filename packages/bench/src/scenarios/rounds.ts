import type { TargetOutcome } from './run-targets.js'

/**
 * Rows measured in several rounds, as the rows they are compared with took
 * turns with them: on this shared VM the same server moves by ±20 % from one
 * window to the next, and a ratio of two windows apart measures that too.
 */

/**
 * Rounds of the rows issue 15's targets are about (2026-12-02, one build, the same 5-10 s windows: unkeyed ingest
 * 114-145k acks/s in five; SDK to SDK 65-110k msgs/s in four, the load generator's CPU per message 7.3-12.1 µs;
 * fan-out 10×10 0.72-0.95× the baseline in five runs).
 */
export const ROUNDS = 3

/**
 * The order rows run in: those of `turns` take turns, `rounds` times (the first of them first), and
 * then every other row of `rowCount`, once, from `from` on (rows before it are left out).
 */
export function takingTurns (rowCount: number, turns: readonly number[], rounds: number, from = 0): number[] {
  const others = Array.from({ length: rowCount }, (_, i) => i).filter(i => i >= from && !turns.includes(i))
  return [...Array.from({ length: rounds }, () => turns).flat(), ...others]
}

/** Which round of its row the run at `r` of `order` was (1 for a row's first). */
export function roundOf (order: readonly number[], r: number): number {
  return order.slice(0, r + 1).filter(i => i === order[r]).length
}

/** Each row's runs, in order, from the runs made in `order` (see takingTurns). */
export function roundsByRow<R> (rowCount: number, order: readonly number[], runs: ReadonlyArray<TargetOutcome<R>>): Array<Array<TargetOutcome<R>>> {
  return Array.from({ length: rowCount }, (_, i) => runs.filter((_, r) => order[r] === i))
}

/** The round of median `rate` among those with a result (a row that ran once: that run). */
export function medianRound<R> (rounds: Array<TargetOutcome<R>>, rate: (result: R) => number): TargetOutcome<R> {
  const measured = rounds.filter(round => round.result !== undefined).sort((a, b) => rate(a.result as R) - rate(b.result as R))
  return measured.length === 0 ? rounds[0] : measured[Math.floor(measured.length / 2)]
}

/** The median over the rounds of `rows[r] / against[r]`, each pair measured side by side; rounds without both left out. */
export function medianRatio<R> (rows: Array<TargetOutcome<R>>, against: Array<TargetOutcome<R>>, rate: (result: R) => number): number | undefined {
  const ratios = rows.flatMap((row, r) => {
    const reference = against[r]?.result
    if (row.result === undefined || reference === undefined || rate(reference) === 0) return []
    return [rate(row.result) / rate(reference)]
  }).sort((a, b) => a - b)
  if (ratios.length === 0) return undefined
  return Math.round(ratios[Math.floor(ratios.length / 2)] * 100) / 100
}

/** A rate in thousands, for the rounds' notes. */
export function thousands (n: number | undefined): string {
  return n === undefined ? 'none' : `${(n / 1000).toFixed(1)}k`
}
