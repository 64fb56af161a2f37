import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChatError } from '../src/chat-error.js'
import type { ReadMarker } from '../src/client-types.js'
import { MarkerBook, ReadCoalescer } from '../src/read-markers.js'
import type { MarkerTarget } from '../src/read-markers.js'

/** A coalescer whose writes the test answers by hand, in order. */
function coalescer () {
  const writes: Array<{ target: MarkerTarget, id: number, answer: (m: ReadMarker | Error) => void }> = []
  const c = new ReadCoalescer(async (target, id) => await new Promise<ReadMarker>((resolve, reject) => {
    writes.push({ target, id, answer: m => { if (m instanceof Error) reject(m); else resolve(m) } })
  }))
  return { c, writes }
}
const marker = (read: number): ReadMarker => ({ read, unread: 10 - read, lastId: 10 })
const turn = async (): Promise<void> => { await new Promise(resolve => setImmediate(resolve)) }

test('calls made while one is on its way go as one, with the highest id; a covered call settles with the first', async () => {
  const { c, writes } = coalescer()
  const first = c.mark({ room: 'r' }, 5)
  const covered = c.mark({ room: 'r' }, 3)
  const later = [c.mark({ room: 'r' }, 6), c.mark({ room: 'r' }, 8), c.mark({ room: 'r' }, 7)]
  const elsewhere = c.mark({ with: 'r' }, 1)
  assert.deepEqual(writes.map(w => [w.target, w.id]), [[{ room: 'r' }, 5], [{ with: 'r' }, 1]])
  writes[0].answer(marker(5))
  assert.deepEqual(await first, marker(5))
  assert.deepEqual(await covered, marker(5))
  await turn()
  assert.deepEqual(writes.map(w => w.id), [5, 1, 8])
  writes[2].answer(marker(8))
  for (const p of later) assert.deepEqual(await p, marker(8))
  writes[1].answer(marker(1))
  assert.deepEqual(await elsewhere, marker(1))
  // Nothing on its way: the next call goes at once.
  void c.mark({ room: 'r' }, 9)
  assert.deepEqual(writes.map(w => w.id), [5, 1, 8, 9])
})

test('a refused call refuses those it covers; the merged ones still go', async () => {
  const { c, writes } = coalescer()
  const first = c.mark({ room: 'r' }, 5)
  const covered = c.mark({ room: 'r' }, 4)
  const next = c.mark({ room: 'r' }, 6)
  writes[0].answer(new ChatError('not_member', 'no'))
  await assert.rejects(first, { code: 'not_member' })
  await assert.rejects(covered, { code: 'not_member' })
  await turn()
  writes[1].answer(marker(6))
  assert.deepEqual(await next, marker(6))
})

test('the book tells a marker that moved past what it knew, and lists conversations most recent first', () => {
  const book = new MarkerBook()
  assert.equal(book.learn({ room: 'r' }, 3), false, 'first learned: nothing to tell')
  assert.equal(book.learn({ room: 'r' }, 3), false)
  assert.equal(book.learn({ room: 'r' }, 2), false, 'never backwards')
  assert.equal(book.learn({ room: 'r' }, 5), true)
  book.learn({ with: 'ann' }, 1)
  book.learn({ with: 'bob' }, 1)
  book.learn({ with: 'ann' }, 2)
  assert.deepEqual(book.conversations(5), ['ann', 'bob'])
  assert.deepEqual(book.conversations(1), ['ann'])
})
