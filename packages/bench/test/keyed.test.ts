import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { killAllStarted } from '../src/child-processes.js'
import type { ScenarioReport } from '../src/report.js'
import { INGEST_ROWS } from '../src/scenarios/durable-ingest.js'
import { keyedGoalsReport } from '../src/scenarios/keyed-goals.js'
import { medianRatio, medianRound, roundOf, roundsByRow, takingTurns } from '../src/scenarios/rounds.js'
import type { TargetOutcome } from '../src/scenarios/run-targets.js'
import { PAIR_ROWS } from '../src/scenarios/sdk-pair.js'
import { sqliteTarget } from '../src/targets/cluster-target.js'
import type { Driver } from '../src/targets/cluster-target.js'
import { loadAndCheck } from '../src/targets/stored-check.js'

// Issue 15: keyed sends and SDK to SDK, judged only on valid rows; each driver's messages stored once, in order.

describe('issue 15 goals', () => {
  const report = (scenario: string, rows: Array<Record<string, unknown>>): ScenarioReport => ({ scenario, title: '', columns: [], rows, notes: [], results: [] })

  it('judge keyed ingest against 0.8× unkeyed and SDK to SDK against 100,000/s, an invalid row never meeting them', () => {
    const goals = (valid: boolean): ScenarioReport => keyedGoalsReport([
      report('durable-ingest', [{ target: INGEST_ROWS.fullKeyed, ackedPerSecond: 90_000, xUnkeyed: 0.85, valid }]),
      report('sdk-pair', [{ target: PAIR_ROWS.sdk, deliveriesPerSecond: 120_000, xUnkeyed: 0.8, valid }])
    ])
    assert.deepEqual(goals(true).rows.slice(0, 2).map(r => r.met), [true, true])
    assert.deepEqual(goals(false).rows.slice(0, 2).map(r => r.met), [false, false])
    const low = keyedGoalsReport([
      report('durable-ingest', [{ target: INGEST_ROWS.fullKeyed, ackedPerSecond: 30_000, xUnkeyed: 0.25, valid: true }]),
      report('sdk-pair', [{ target: PAIR_ROWS.sdk, deliveriesPerSecond: 31_000, xUnkeyed: 0.2, valid: true }])
    ])
    assert.deepEqual(low.rows.slice(0, 2).map(r => r.met), [false, false])
  })

  it('rows measured in rounds: the median round, and the median of the ratios of rounds measured side by side', () => {
    const rounds = (...rates: Array<number | undefined>): Array<TargetOutcome<number>> =>
      rates.map(rate => rate === undefined ? { target: 'row', error: 'failed' } : { target: 'row', result: rate })
    const same = (x: number): number => x
    assert.equal(medianRound(rounds(150, 100, 120), same).result, 120)
    assert.equal(medianRound(rounds(150, undefined, 100), same).result, 150, 'a round that failed is left out')
    assert.equal(medianRound(rounds(undefined), same).error, 'failed')
    // Each round's ratio, not the ratio of the medians: 120/150, 80/100, 117/130 → 0.8, 0.8, 0.9.
    assert.equal(medianRatio(rounds(120, 80, 117), rounds(150, 100, 130), same), 0.8)
    // A slow window slows both rows of its round: 0.9, 0.9 and 0.6 (the unkeyed fast, the keyed slow).
    assert.equal(medianRatio(rounds(90, 45, 60), rounds(100, 50, 100), same), 0.9)
    assert.equal(medianRatio(rounds(90, undefined), rounds(100, 50), same), 0.9, 'rounds without both are left out')
    assert.equal(medianRatio(rounds(undefined), rounds(100), same), undefined)
  })

  it('rows taking turns: the paired rows alternate round after round, the others run once after them, and each row gets its own runs back', () => {
    // Fan-out: chat (0) and the baseline (1) take turns; chat-ws (2) and nats (3) once.
    assert.deepEqual(takingTurns(4, [0, 1], 3), [0, 1, 0, 1, 0, 1, 2, 3])
    // Ingest: the memory row (0) runs first by itself, the SQLite pair (1, 2) takes turns, then the rest.
    assert.deepEqual([0, ...takingTurns(5, [1, 2], 2, 1)], [0, 1, 2, 1, 2, 3, 4])
    // SDK to SDK: every row takes its turn in each round.
    assert.deepEqual(takingTurns(3, [0, 1, 2], 2), [0, 1, 2, 0, 1, 2])
    assert.deepEqual(takingTurns(2, [0, 1], 1), [0, 1], 'one round: each row once')
    const order = takingTurns(3, [0, 1], 2)
    const runs = order.map((row, r): TargetOutcome<number> => ({ target: `row ${row}`, result: r }))
    assert.deepEqual(roundsByRow(3, order, runs).map(row => row.map(run => run.result)), [[0, 2], [1, 3], [4]])
    assert.deepEqual(order.map((_, r) => roundOf(order, r)), [1, 1, 2, 2, 1], 'each run\'s round of its row')
  })

  it('store-append measures a fresh SQLite store\'s writes, unkeyed and keyed, per message', async () => {
    const script = fileURLToPath(new URL('../src/store-append.js', import.meta.url))
    const { stdout } = await promisify(execFile)(process.execPath, [script, '--messages', '2560', '--rounds', '1'])
    const lines = stdout.trim().split('\n')
    assert.equal(lines.length, 2, stdout)
    assert.match(lines[0], /unkeyed: µs per message, median wall [\d.]+, CPU [\d.]+/)
    assert.match(lines[1], / keyed: µs per message, median wall [\d.]+, CPU [\d.]+/)
    for (const line of lines) assert.ok(Number(/wall ([\d.]+)/.exec(line)?.[1]) > 0, line)
  })

  it('say what was not measured', () => {
    const goals = keyedGoalsReport([])
    assert.ok(goals.rows.every(r => r.measured === 'not measured' && r.met === undefined))
  })
})

describe('a short run on SQLite, each way of sending', () => {
  after(() => { killAllStarted() })

  for (const driver of ['chat', 'chat keyed', 'chat uuid keys', 'chat-sdk'] as Driver[]) {
    it(`${driver}: every text delivered in order, acknowledged, and stored once under ids 1, 2, 3...`, async () => {
      const target = await sqliteTarget('test', driver).start()
      try {
        const { load, check } = await loadAndCheck(target, { subscribers: 1, publishers: 2, pacing: { window: 16 }, warmupMs: 50, measureMs: 200, drainMs: 10_000 }, ['bench'], [[0, 1]])
        assert.equal(load.valid, true, load.notes.join('; '))
        assert.ok(load.sent > 0)
        assert.equal(load.acked, load.sent)
        assert.deepEqual(check, { stored: load.sent, problems: [] })
      } finally {
        await target.stop()
      }
    })
  }
})
