import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { IdSequences } from '../src/engine/id-sequences.js'

/** A loadLastId over a map of last ids, counting its calls per stream. */
function loader (lastIds: Record<string, number>): { load: (stream: string) => number, calls: Map<string, number> } {
  const calls = new Map<string, number>()
  return {
    calls,
    load: stream => {
      calls.set(stream, (calls.get(stream) ?? 0) + 1)
      return lastIds[stream] ?? 0
    }
  }
}

describe('IdSequences', () => {
  it('continues each stream from its loadLastId, reading it once', () => {
    const { load, calls } = loader({ 'r:a': 41, 'r:b': 0 })
    const ids = new IdSequences(load)
    assert.deepEqual(['r:a', 'r:b', 'r:a', 'd:x y', 'r:a', 'r:b'].map(s => ids.next(s)), [42, 1, 43, 1, 44, 2])
    assert.deepEqual(Object.fromEntries(calls), { 'r:a': 1, 'r:b': 1, 'd:x y': 1 })
  })

  it('forget: the stream\'s next id is read from loadLastId again; other streams carry on', () => {
    const lastIds: Record<string, number> = { 'r:a': 10, 'r:b': 5 }
    const { load, calls } = loader(lastIds)
    const ids = new IdSequences(load)
    assert.deepEqual([ids.next('r:a'), ids.next('r:a'), ids.next('r:b')], [11, 12, 6])
    ids.forget('r:a') // the commit of 11 and 12 failed: the store still says 10
    assert.equal(ids.next('r:a'), 11)
    assert.equal(calls.get('r:a'), 2)
    lastIds['r:b'] = 100 // not reread: b was not forgotten
    assert.equal(ids.next('r:b'), 7)
    ids.forget('r:b')
    assert.equal(ids.next('r:b'), 101)
    ids.forget('never used')
    assert.equal(ids.next('never used'), 1)
  })

  it('gives each stream consecutive ids from its last one, whatever the interleaving', () => {
    fc.assert(fc.property(fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.nat({ max: 1e9 })), fc.array(fc.constantFrom('a', 'b', 'c', 'd')), (lastIds, streams) => {
      const ids = new IdSequences(stream => lastIds[stream] ?? 0)
      const next = new Map<string, number>()
      for (const stream of streams) {
        const expected = (next.get(stream) ?? lastIds[stream] ?? 0) + 1
        assert.equal(ids.next(stream), expected)
        next.set(stream, expected)
      }
    }))
  })
})
