import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { machinePace, paceNote, paceOfPass, pacesNote } from '../src/machine-pace.js'
import { jsonBodies } from '../src/scenarios/recorded-messages.js'
import { jsonLine } from '../src/report.js'
import type { ScenarioReport } from '../src/report.js'

// The machine's pace between scenarios: a fixed loop, its work checked, shown next to the rows measured around it.

describe('machine pace', () => {
  const report = (scenario: string, pace?: { before: number, after: number }): ScenarioReport =>
    ({ scenario, title: '', columns: [], rows: [], notes: [], results: [], pace })

  it('times a loop that really parses its bodies', () => {
    const bodies = jsonBodies(1000)
    assert.ok(paceOfPass(bodies) > 0)
    // A body whose id is not what the loop expects: it notices instead of timing nothing.
    bodies[10] = Buffer.from(JSON.stringify({ type: 'msg', id: 7, room: 'general', from: 'bob', text: 'x', ts: 1 }))
    assert.throws(() => paceOfPass(bodies), /misread/)
  })

  it('is measured in a fresh process', async () => {
    const pace = await machinePace()
    assert.ok(Number.isFinite(pace) && pace > 1000, `a pace of ${pace} parses/s`)
  })

  it('is noted under its scenario, under the targets tables of its rows, and in the JSON line', () => {
    assert.match(paceNote({ before: 1_864_305, after: 990_719 }), /1\.86M parses\/s just before this scenario, 0\.99M just after/)
    const reports = [
      report('durable-ingest', { before: 1_900_000, after: 1_200_000 }),
      report('sdk-pair', { before: 1_200_000, after: 1_500_000 }),
      report('fanout-s100-p1', { before: 1_000_000, after: 1_100_000 }),
      report('sdk-consume')
    ]
    assert.equal(pacesNote(reports, ['durable-ingest', 'sdk-pair', 'cluster-ingest']),
      'The machine\'s pace around the scenarios of these rows (parses/s of one fixed JSON loop, before → after; see each scenario\'s note): ' +
      'durable-ingest 1.90M → 1.20M; sdk-pair 1.20M → 1.50M.')
    // Neither run, nor paced: no note.
    assert.equal(pacesNote(reports, ['cluster-ingest', 'sdk-consume']), undefined)
    assert.deepEqual(JSON.parse(jsonLine(reports[0], 'now')).pace, { before: 1_900_000, after: 1_200_000 })
    assert.equal(JSON.parse(jsonLine(reports[3], 'now')).pace, undefined)
  })
})
