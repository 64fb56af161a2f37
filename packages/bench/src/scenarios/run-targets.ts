import type { TargetKind, LoadTarget } from '../load/target.js'

/** What happened to one target in a scenario: a result, or why there is none. */
export interface TargetOutcome<R> {
  target: string
  result?: R
  skipped?: string
  error?: string
}

/**
 * Runs `run` against each target in turn, each in a server process of its own
 * that is stopped afterwards. A peer that is not installed is skipped; a
 * failure is reported and the next target runs.
 */
export async function runTargets<R, T extends LoadTarget = LoadTarget> (kinds: Array<TargetKind<T>>, run: (target: T) => Promise<R>, log: (line: string) => void): Promise<Array<TargetOutcome<R>>> {
  const outcomes: Array<TargetOutcome<R>> = []
  for (const kind of kinds) {
    const skipped = kind.unavailable()
    if (skipped !== undefined) {
      log(`  ${kind.name}: skipped, ${skipped}`)
      outcomes.push({ target: kind.name, skipped })
      continue
    }
    log(`  ${kind.name} ...`)
    let target: T | undefined
    try {
      target = await kind.start()
      outcomes.push({ target: kind.name, result: await run(target) })
    } catch (err) {
      const message = (err as Error).message.split('\n')[0]
      log(`  ${kind.name}: failed: ${message}`)
      outcomes.push({ target: kind.name, error: message })
    } finally {
      await target?.stop()
    }
  }
  return outcomes
}

/** A table row for a target without a result. */
export function missingRow (outcome: TargetOutcome<unknown>): Record<string, string> {
  return { target: outcome.target, notes: outcome.skipped !== undefined ? `skipped: ${outcome.skipped}` : `failed: ${outcome.error ?? '?'}` }
}
