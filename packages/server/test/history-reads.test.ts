// A history page reads no more of the store than its frame can carry.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { Harness } from '@chat/testing'
import { createServer, MemoryStore, roomStream } from '../src/index.js'
import type { MessageWrite, StoredMessage, StreamKey } from '../src/index.js'

/** A memory store that counts the messages its reads return. */
class CountingStore extends MemoryStore {
  rowsRead = 0

  override readAfter (stream: StreamKey, after: number, limit: number): StoredMessage[] {
    const rows = super.readAfter(stream, after, limit)
    this.rowsRead += rows.length
    return rows
  }

  override readBefore (stream: StreamKey, before: number | undefined, limit: number): StoredMessage[] {
    const rows = super.readBefore(stream, before, limit)
    this.rowsRead += rows.length
    return rows
  }
}

/** `count` messages of `textBytes` characters in `room`. */
function seeded (room: string, count: number, textBytes: number): CountingStore {
  const store = new CountingStore()
  const writes: MessageWrite[] = []
  for (let id = 1; id <= count; id++) writes.push({ message: { stream: roomStream(room), id, room, from: 'seed', text: `${id} `.padEnd(textBytes, 'x'), ts: 1 } })
  store.append(writes)
  return store
}

describe('history reads', () => {
  it('a history page of 16 KB messages reads about a frame\'s worth of them, not its limit of 500', async t => {
    const h = new Harness(t)
    const store = seeded('big', 2_000, 16_000)
    const client = h.connect(createServer({ store }), 'reader')
    await client.login('reader')
    await client.join('big')
    for (const [query, first] of [[{}, 1997], [{ after: 100 }, 101], [{ before: 1_000 }, 996]] as const) {
      store.rowsRead = 0
      const page = await client.request({ type: 'history', room: 'big', limit: 500, ...query })
      assert.equal(page.type, 'history_page')
      if (page.type !== 'history_page') return
      // Four 16 KB messages fit in a 64 KiB frame; the ones nearest the cursor.
      assert.deepEqual(page.messages.map(m => m.id), [first, first + 1, first + 2, first + 3], JSON.stringify(query))
      assert.equal(page.more, true)
      assert.ok(store.rowsRead <= 64, `${store.rowsRead} messages read for ${JSON.stringify(query)}`)
    }
  })

  it('a page of short messages still reads its limit (and one more, to know there are more)', async t => {
    const h = new Harness(t)
    const store = seeded('room', 1_000, 20)
    const client = h.connect(createServer({ store }), 'reader')
    await client.login('reader')
    await client.join('room')
    store.rowsRead = 0
    const page = await client.request({ type: 'history', room: 'room', limit: 500 })
    assert.ok(page.type === 'history_page')
    assert.deepEqual(page.messages.map(m => m.id), Array.from({ length: 500 }, (_, i) => 501 + i))
    assert.equal(page.more, true)
    assert.equal(store.rowsRead, 501)
  })
})
