import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { machinePace, paceNote, paceOfPass, paceTimeline } from '../src/machine-pace.js'
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

  it('is noted under its scenario, through the run under the last targets table, and in the JSON line', () => {
    assert.match(paceNote({ before: 1_864_305, after: 990_719 }), /1\.86M parses\/s just before this scenario, 0\.99M just after/)
    const reports = [
      report('durable-ingest', { before: 1_900_000, after: 1_200_000 }),
      report('sdk-pair', { before: 1_200_000, after: 1_500_000 }),
      report('goals-keyed')
    ]
    assert.equal(paceTimeline(reports),
      'The machine\'s pace through the run (parses/s of one fixed JSON loop, taken between scenarios; see each scenario\'s note): ' +
      '1.90M, durable-ingest → 1.20M, sdk-pair → 1.50M.')
    // Nothing paced: no note.
    assert.equal(paceTimeline([report('goals-keyed')]), undefined)
    assert.deepEqual(JSON.parse(jsonLine(reports[0], 'now')).pace, { before: 1_900_000, after: 1_200_000 })
    assert.equal(JSON.parse(jsonLine(reports[2], 'now')).pace, undefined)
  })
})
