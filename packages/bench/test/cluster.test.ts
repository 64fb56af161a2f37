import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { StoredMessage } from '@chat/server'
import { killAllStarted } from '../src/child-processes.js'
import { runLoad } from '../src/load/load-generator.js'
import { messageText } from '../src/load/message-text.js'
import type { ScenarioReport } from '../src/report.js'
import { clusterGoalsReport } from '../src/scenarios/cluster.js'
import { clusterTarget } from '../src/targets/cluster-target.js'
import { checkStored } from '../src/targets/stored-check.js'
import type { StoredReader } from '../src/targets/stored-check.js'

// The cluster rows (issue 14) are valid only if what was acknowledged is in the store, once, in order.

function reader (streams: Record<string, Array<[number, number, number]>>): StoredReader {
  const messages = (stream: string): StoredMessage[] => (streams[stream] ?? []).map(([id, p, seq]) => ({ stream, id, from: `p${p}`, text: messageText(p, seq, 1), ts: 1, room: stream.slice(2) }))
  return {
    readAfter: (stream, after, limit) => messages(stream).filter(m => m.id > after).slice(0, limit),
    close: () => {}
  }
}

describe('checkStored', () => {
  it('finds nothing wrong with every text of every publisher once, in order, under ids 1, 2, 3...', async () => {
    const check = await checkStored(reader({ 'r:a': [[1, 0, 0], [2, 1, 0], [3, 0, 1], [4, 1, 1]], 'r:b': [[1, 2, 0]] }), ['a', 'b'], [[0, 1], [2]], [2, 2, 1])
    assert.deepEqual(check, { stored: 5, problems: [] })
  })

  it('reports a gap in the ids, a text doubled or out of order, and texts never stored', async () => {
    const gap = await checkStored(reader({ 'r:a': [[1, 0, 0], [3, 0, 1]] }), ['a'], [[0]], [2])
    assert.match(gap.problems.join('\n'), /id 3 after 1/)
    const twice = await checkStored(reader({ 'r:a': [[1, 0, 0], [2, 0, 0], [3, 0, 1]] }), ['a'], [[0]], [2])
    assert.match(twice.problems.join('\n'), /text 0 where 1 was next/)
    const swapped = await checkStored(reader({ 'r:a': [[1, 0, 1], [2, 0, 0]] }), ['a'], [[0]], [2])
    assert.ok(swapped.problems.length > 0)
    const short = await checkStored(reader({ 'r:a': [[1, 0, 0]] }), ['a'], [[0]], [2])
    assert.match(short.problems.join('\n'), /sent 2 texts, 1 stored/)
    const stranger = await checkStored(reader({ 'r:a': [[1, 5, 0]] }), ['a'], [[0]], [0])
    assert.match(stranger.problems.join('\n'), /not a text of this room's publishers/)
  })
})

describe('issue 14 goals', () => {
  const ingest = (rows: Array<Record<string, unknown>>): ScenarioReport => ({ scenario: 'cluster-ingest', title: '', columns: [], rows, notes: [], results: [] })

  it('judge acknowledged sends through Redis (always) against 50,000/s, an invalid row never meeting it', () => {
    const report = clusterGoalsReport([ingest([
      { target: 'cluster: 1 node + Redis (always), unkeyed', ackedPerSecond: 61_000, xSqlite: 0.5, valid: true },
      { target: 'cluster: 1 node + Redis (always), keyed', ackedPerSecond: 49_000, xSqlite: 0.5, valid: true },
      { target: 'cluster: 1 node + Redis (always), SDK send()', ackedPerSecond: 70_000, xSqlite: 0.5, valid: false }
    ])])
    assert.deepEqual(report.rows.slice(0, 3).map(r => r.met), [true, false, false])
    assert.equal(report.rows[3].measured, 'not measured')
  })
})

describe('a short run against a cluster of two nodes on a redis-server of its own', () => {
  after(() => { killAllStarted() })

  it('subscribers split over the nodes get every text in order; every acknowledged text is stored; Redis counts one EVALSHA per batch', async t => {
    const kind = clusterTarget('test', { nodes: 2, appendfsync: 'everysec', driver: 'chat keyed', publishersOn: 'spread' })
    const skipped = kind.unavailable()
    if (skipped !== undefined) { t.skip(skipped); return }
    const target = await kind.start()
    try {
      const result = await runLoad(target, { subscribers: 4, publishers: 2, pacing: { window: 16 }, warmupMs: 100, measureMs: 300, drainMs: 10_000 })
      assert.equal(result.valid, true, result.notes.join('; '))
      assert.equal(result.acked, result.sent)
      assert.deepEqual(Object.keys(result.processCores ?? {}), ['node 0', 'node 1', 'redis'])
      const probe = result.probe as { from: { commands: Record<string, { calls: number }> }, to: { roomSubscribers: number, commands: Record<string, { calls: number }> } }
      assert.equal(probe.to.roomSubscribers, 2, 'both nodes subscribe to the room they have members in')
      assert.ok(probe.to.commands.evalsha.calls > probe.from.commands.evalsha.calls)
      const stored = await target.storedReader()
      const check = await checkStored(stored, ['bench'], [[0, 1]], result.sentBy)
      assert.deepEqual(check, { stored: result.sent, problems: [] })
    } finally {
      await target.stop()
    }
  })
})
