import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { SortedNames } from '../src/rooms/sorted-names.js'

interface Item { name: string }

/** Adds and removes (of items in the list, of names absent, of another item of a listed name) against a sorted array. */
function check (ops: Array<{ add: boolean, name: string }>, limits: number[]): void {
  const list = new SortedNames<Item>()
  const items = new Map<string, Item>()
  for (const { add, name } of ops) {
    if (add && !items.has(name)) {
      const item = { name }
      items.set(name, item)
      list.add(item)
    } else if (!add) {
      // Another item of the same name (a room made again) is not the listed one: nothing changes.
      list.remove({ name })
      const item = items.get(name)
      if (item !== undefined) {
        list.remove(item)
        items.delete(name)
      }
    }
  }
  const expected = [...items.keys()].sort()
  assert.equal(list.size, expected.length)
  assert.deepEqual(list.first(Infinity).map(i => i.name), expected)
  for (const limit of limits) assert.deepEqual(list.first(limit).map(i => i.name), expected.slice(0, limit))
  // Every listed item is the one that was added.
  for (const item of list.first(Infinity)) assert.equal(item, items.get(item.name))
}

describe('SortedNames', () => {
  it('agrees with a sorted array over any adds and removes (few names)', () => {
    const op = fc.record({ add: fc.boolean(), name: fc.stringMatching(/^[a-c.-]{0,3}$/) })
    fc.assert(fc.property(fc.array(op, { maxLength: 100 }), fc.array(fc.nat(20), { maxLength: 3 }), (ops, limits) => { check(ops, limits) }), { numRuns: 300 })
  })

  it('agrees with a sorted array over thousands of adds and removes (chunks split and emptied)', () => {
    const op = fc.record({ add: fc.nat(3).map(n => n > 0), name: fc.integer({ min: 0, max: 4_000 }).map(n => `room-${n}`) })
    fc.assert(fc.property(fc.array(op, { minLength: 2_000, maxLength: 6_000 }), fc.array(fc.nat(3_000), { maxLength: 3 }), (ops, limits) => { check(ops, limits) }), { numRuns: 20 })
  })

  it('removes every item, in any order, down to empty', () => {
    const list = new SortedNames<Item>()
    const items = Array.from({ length: 3_000 }, (_, i) => ({ name: `r${(i * 7919) % 3_000}` }))
    for (const item of items) list.add(item)
    assert.deepEqual(list.first(5).map(i => i.name), ['r0', 'r1', 'r10', 'r100', 'r1000'])
    for (const item of items.reverse()) list.remove(item)
    assert.equal(list.size, 0)
    assert.deepEqual(list.first(10), [])
    list.add({ name: 'again' })
    assert.deepEqual(list.first(10).map(i => i.name), ['again'])
  })
})
