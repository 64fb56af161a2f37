import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { killAllStarted } from '../src/child-processes.js'
import type { ScenarioReport } from '../src/report.js'
import { INGEST_ROWS } from '../src/scenarios/durable-ingest.js'
import { keyedGoalsReport } from '../src/scenarios/keyed-goals.js'
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
