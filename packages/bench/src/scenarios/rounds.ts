import type { TargetOutcome } from './run-targets.js'

/**
 * Rows measured in several rounds, as the rows they are compared with took
 * turns with them: on this shared VM the same server moves by ±20 % from one
 * window to the next, and a ratio of two windows apart measures that too.
 */

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
