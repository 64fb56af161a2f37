import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { MessageRows } from '../src/store/message-rows.js'
import type { StoredMessage } from '../src/store/store.js'

/**
 * The memory store's rows against what it kept before them: the messages
 * themselves, in an array (reads slice it, retention cuts its front).
 */
class Reference {
  messages: StoredMessage[] = []
  floor = 0

  readAfter (after: number, limit: number): StoredMessage[] {
    const start = this.messages.findIndex(m => m.id > after)
    return start < 0 ? [] : this.messages.slice(start, start + limit)
  }

  readBefore (before: number | undefined, limit: number): StoredMessage[] {
    let end = before === undefined ? this.messages.length : this.messages.findIndex(m => m.id >= before)
    if (end < 0) end = this.messages.length
    return this.messages.slice(Math.max(0, end - limit), end)
  }

  prune (maxAgeCutoff: number | undefined, maxMessages: number | undefined): number {
    let cut = 0
    if (maxAgeCutoff !== undefined) for (let i = 0; i < this.messages.length; i++) if (this.messages[i].ts < maxAgeCutoff) cut = i + 1
    if (maxMessages !== undefined) cut = Math.max(cut, this.messages.length - maxMessages)
    if (cut > 0) {
      this.floor = Math.max(this.floor, this.messages[cut - 1].id)
      this.messages = this.messages.slice(cut)
    }
    return cut
  }
}

const anyText = fc.oneof(
  fc.string({ unit: 'grapheme-ascii', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary-ascii', maxLength: 40 })
)
const name = fc.constantFrom('alice', 'bob', 'Carol_2', 'd.e-f', 'général')

type Op =
  | { op: 'append', count: number, text: string, from: string, place: 'room' | 'to' | 'none', place2: string, tsStep: number }
  | { op: 'prune', age?: number, max?: number }
  | { op: 'read', after: number, before?: number, limit: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('append' as const), count: fc.oneof(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 100, max: 5000 })), text: anyText, from: name, place: fc.constantFrom<'room' | 'to' | 'none'>('room', 'to', 'none'), place2: name, tsStep: fc.integer({ min: -2, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('prune' as const), age: fc.option(fc.nat({ max: 20_000 }), { nil: undefined }), max: fc.option(fc.nat({ max: 9000 }), { nil: undefined }) }, { requiredKeys: ['op'] }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('read' as const), after: fc.nat({ max: 30_000 }), before: fc.option(fc.nat({ max: 30_000 }), { nil: undefined }), limit: fc.integer({ min: 1, max: 300 }) }, { requiredKeys: ['op', 'after', 'limit'] }) }
)

describe('MessageRows (the memory store\'s encoded rows)', () => {
  it('reads back what an array of the messages would, across segments, retention and any text', () => {
    fc.assert(fc.property(fc.array(op, { maxLength: 25 }), ops => {
      const rows = new MessageRows('r:general')
      const reference = new Reference()
      let id = 0
      let ts = 10_000
      for (const o of ops) {
        if (o.op === 'append') {
          for (let i = 0; i < o.count; i++) {
            ts += o.tsStep
            const message: StoredMessage = { stream: 'r:general', id: ++id, from: o.from, text: `${o.text}${i % 7 === 0 ? i : ''}`, ts }
            if (o.place === 'room') message.room = o.place2
            if (o.place === 'to') message.to = o.place2
            // Half the texts come with their bytes at hand, somewhere in a chunk, as a text read in place does.
            if (i % 2 === 0) rows.append(message)
            else {
              const utf8 = Buffer.from(message.text, 'utf8')
              const chunk = Buffer.concat([Buffer.alloc(i % 5, 0x22), utf8, Buffer.alloc(3, 0x22)])
              rows.append(message, { bytes: chunk, start: i % 5, end: i % 5 + utf8.length })
            }
            reference.messages.push(message)
          }
        } else if (o.op === 'prune') {
          const cutoff = o.age === undefined ? undefined : ts - o.age
          let cut = 0
          if (cutoff !== undefined) cut = rows.countOlderThan(cutoff)
          if (o.max !== undefined) cut = Math.max(cut, rows.size - o.max)
          rows.removeOldest(cut)
          assert.equal(cut, reference.prune(cutoff, o.max))
        } else {
          assert.deepEqual(rows.readAfter(o.after, o.limit), reference.readAfter(o.after, o.limit))
          assert.deepEqual(rows.readBefore(o.before, o.limit), reference.readBefore(o.before, o.limit))
          const wanted = reference.messages.find(m => m.id === o.after)
          assert.deepEqual(rows.find(o.after), wanted)
        }
        assert.equal(rows.size, reference.messages.length)
        assert.equal(rows.floor, reference.floor)
        assert.equal(rows.lastId, id)
      }
      assert.deepEqual(rows.readAfter(0, Infinity), reference.messages)
    }), { numRuns: 200 })
  })

  it('keeps no object per message: a million rows are a few hundred buffers', () => {
    const rows = new MessageRows('r:big')
    const before = process.memoryUsage().heapUsed
    for (let id = 1; id <= 1_000_000; id++) rows.append({ stream: 'r:big', id, room: 'big', from: `user${id % 10}`, text: `message ${id} ${'x'.repeat(40)}`, ts: 1_795_960_000_000 + id })
    const heap = process.memoryUsage().heapUsed - before
    assert.ok(heap < 20 * 1024 * 1024, `${heap} bytes of heap for a million rows`)
    assert.deepEqual(rows.readBefore(undefined, 1), [{ stream: 'r:big', id: 1_000_000, room: 'big', from: 'user0', text: `message 1000000 ${'x'.repeat(40)}`, ts: 1_795_961_000_000 }])
  })
})
