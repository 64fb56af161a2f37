import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { PresenceMessage } from '@chat/protocol'
import { RoomFeeds } from '../src/cluster/room-feeds.js'
import type { StoredMessage } from '../src/store/store.js'

const message = (id: number): StoredMessage => ({ stream: 'r:general', id, from: 'alice', text: `m${id}`, ts: id, room: 'general' })
const join = (user: string): PresenceMessage => ({ type: 'presence', event: 'join', room: 'general', user })

/** A feed over a stream holding ids 1..`stored` (minus `removed`), recording what it hands on. */
function feedOver (stored: number, options: { removed?: number[], failReads?: boolean } = {}): { feeds: RoomFeeds, out: string[], reads: Array<[number, number]> } {
  const out: string[] = []
  const reads: Array<[number, number]> = []
  const feeds = new RoomFeeds({
    readAfter: async (_room, after, limit) => {
      reads.push([after, limit])
      if (options.failReads === true) throw new Error('redis is down')
      const ids = []
      for (let id = after + 1; id <= Math.min(stored, after + limit); id++) if (options.removed?.includes(id) !== true) ids.push(id)
      return ids.map(message)
    },
    messages: (_room, messages) => { out.push(...messages.map(m => `#${m.id}`)) },
    presence: (_room, event) => { out.push(`${event.event} ${event.user}`) },
    lost: (_room, after, next) => { out.push(`lost ${after + 1}-${next - 1}`) }
  })
  return { feeds, out, reads }
}

const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve)) }

describe('RoomFeeds: a room\'s channel handed on in id order, never twice, never with a gap', () => {
  it('holds what arrives before the join says where the room stands, then drops what the join already covered', async () => {
    const { feeds, out } = feedOver(10)
    feeds.open('general')
    feeds.push('general', { kind: 'messages', messages: [message(4), message(5)] })
    feeds.push('general', { kind: 'presence', event: join('bob') })
    feeds.push('general', { kind: 'messages', messages: [message(6)] })
    assert.deepEqual(out, [])
    feeds.start('general', 4)
    assert.deepEqual(out, ['#5', 'join bob', '#6'])
  })

  it('fills a gap from the stream before anything after it, presence keeping its place', async () => {
    const { feeds, out, reads } = feedOver(10)
    feeds.open('general')
    feeds.start('general', 2)
    feeds.push('general', { kind: 'messages', messages: [message(6), message(7)] })
    feeds.push('general', { kind: 'presence', event: join('carol') })
    feeds.push('general', { kind: 'messages', messages: [message(8)] })
    assert.deepEqual(out, [])
    await settle()
    assert.deepEqual(reads, [[2, 3]])
    assert.deepEqual(out, ['#3', '#4', '#5', '#6', '#7', 'join carol', '#8'])
    // A repeat (a commit seen twice) is dropped.
    feeds.push('general', { kind: 'messages', messages: [message(7), message(8), message(9)] })
    assert.deepEqual(out.slice(-1), ['#9'])
  })

  it('takes the stream as the truth when retention removed part of a gap, and goes on when the read fails', async () => {
    const removed = feedOver(10, { removed: [3, 4] })
    removed.feeds.open('general')
    removed.feeds.start('general', 2)
    removed.feeds.push('general', { kind: 'messages', messages: [message(6)] })
    await settle()
    assert.deepEqual(removed.out, ['#5', '#6'])

    const failing = feedOver(10, { failReads: true })
    failing.feeds.open('general')
    failing.feeds.start('general', 2)
    failing.feeds.push('general', { kind: 'messages', messages: [message(5)] })
    await settle()
    assert.deepEqual(failing.out, ['lost 3-4', '#5'])
  })

  it('forgets a closed room: nothing more is handed on, also from a fill in flight', async () => {
    const { feeds, out } = feedOver(10)
    feeds.open('general')
    feeds.start('general', 0)
    feeds.push('general', { kind: 'messages', messages: [message(3)] })
    feeds.close('general')
    feeds.push('general', { kind: 'messages', messages: [message(4)] })
    await settle()
    assert.deepEqual(out, [])
    assert.equal(feeds.has('general'), false)
  })
})
