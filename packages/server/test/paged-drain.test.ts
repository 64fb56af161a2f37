import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame } from '@chat/protocol'
import type { DuplexPairOptions } from '@chat/transport'
import { drainPages } from '../src/history/paged-drain.js'
import type { PagedRead } from '../src/history/paged-drain.js'
import type { MaybePromise } from '../src/maybe-promise.js'
import { openLink, quietEvents, serverOptions, within } from './units.fixture.js'
import type { Link } from './units.fixture.js'

const options = serverOptions()
const links: Link[] = []
after(() => { for (const link of links) link.client.destroy() })

function link (pair: DuplexPairOptions & { read?: boolean } = {}): Link {
  const made = openLink('reader', options, quietEvents, pair)
  links.push(made)
  return made
}

/** Item n goes out as a msg frame of about 150 bytes. */
const frameOf = (n: number): Uint8Array => encodeFrame({ type: 'msg', id: n + 1, room: 'r', from: 'x', text: 'y'.repeat(100), ts: 1 })
const FRAME_BYTES = frameOf(0).byteLength

type Event =
  | { kind: 'read', queued: number, peerReading: boolean, page?: number[] }
  | { kind: 'send', item: number, queued: number }
  | { kind: 'sent', page: number[], sent: number, queued: number }

/**
 * A paged read as replays and inboxes make one: a cursor over `items`,
 * advanced by what was sent; every call logged with the connection's queue.
 */
function cursorRead (l: Link, items: number[], pageSize: number, log: Event[], finished: (page: number[], sent: number, cursor: number) => boolean = () => false, state = { peerReading: true }): PagedRead<number> & { cursor: () => number } {
  let cursor = 0
  return {
    cursor: () => cursor,
    read: () => {
      // A drain that stopped waiting would spin here: fail instead of hanging.
      if (log.filter(e => e.kind === 'read').length > 2 * items.length + 10) throw new Error('read again and again without the queue draining')
      const page = cursor >= items.length ? undefined : items.slice(cursor, cursor + pageSize)
      log.push({ kind: 'read', queued: l.connection.queuedFrameBytes, peerReading: state.peerReading, page })
      return page
    },
    send: item => {
      log.push({ kind: 'send', item, queued: l.connection.queuedFrameBytes })
      l.connection.sendFrame(frameOf(item))
    },
    sent: (page, sent) => {
      log.push({ kind: 'sent', page, sent, queued: l.connection.queuedFrameBytes })
      cursor += sent
      return finished(page, sent, cursor)
    }
  }
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i)
const ids = (l: Link): number[] => l.peer.ofType('msg').map(m => m.id - 1)

describe('drainPages', () => {
  it('reads and sends page after page, and ends when read returns undefined', async () => {
    const l = link()
    const log: Event[] = []
    await within(drainPages(l.connection, 1 << 20, cursorRead(l, range(10), 4, log)), 'the drain to end')
    assert.deepEqual(log.filter(e => e.kind === 'sent').map(e => e.kind === 'sent' && [e.page.length, e.sent]), [[4, 4], [4, 4], [2, 2]])
    assert.equal(log.filter(e => e.kind === 'read').length, 4, 'the fourth read found nothing')
    await l.peer.until(() => ids(l).length === 10, 'every item')
    assert.deepEqual(ids(l), range(10))
  })

  it('ends when sent returns true, without reading again', async () => {
    const l = link()
    const log: Event[] = []
    const pages = cursorRead(l, range(10), 4, log, (_page, _sent, cursor) => cursor >= 4)
    await within(drainPages(l.connection, 1 << 20, pages), 'the drain to end')
    assert.deepEqual(log.map(e => e.kind), ['read', 'send', 'send', 'send', 'send', 'sent'])
    await l.peer.until(() => ids(l).length === 4, 'the first page')
  })

  it('never queues past pauseAt before waiting for drained(), tells sent what went out, and delivers each item once, in order', async () => {
    // A transport that holds little: the connection's own queue is what fills.
    const l = link({ highWaterMark: 2 * FRAME_BYTES })
    const pauseAt = 4 * FRAME_BYTES + 10
    const log: Event[] = []
    const items = range(60)
    await within(drainPages(l.connection, pauseAt, cursorRead(l, items, 10, log)), 'the drain to end')

    let sentThisPage: number[] = []
    let page: number[] | undefined
    let partialPages = 0
    let waitedAfterPartial = false
    for (const event of log) {
      if (event.kind === 'read') {
        if (waitedAfterPartial) assert.equal(event.queued, 0, 'a page is read only once the queue has drained')
        waitedAfterPartial = false
        page = event.page
        sentThisPage = []
      } else if (event.kind === 'send') {
        assert.ok(event.queued < pauseAt, `sent item ${event.item} with ${event.queued} bytes queued (pauseAt ${pauseAt})`)
        sentThisPage.push(event.item)
      } else {
        assert.deepEqual(event.page, page)
        assert.equal(event.sent, sentThisPage.length, 'sent counts what went out')
        assert.deepEqual(sentThisPage, event.page.slice(0, event.sent), 'the first `sent` items of the page went out')
        if (event.sent < event.page.length) {
          partialPages++
          assert.ok(event.queued >= pauseAt, 'a page is cut short only at pauseAt')
          waitedAfterPartial = true
        }
      }
    }
    assert.ok(partialPages > 0, 'pauseAt was reached (else this test shows nothing)')
    await l.peer.until(() => ids(l).length === items.length, 'every item')
    assert.deepEqual(ids(l), items)
  })

  it('waits for a reader that does not read: the next page is read only after the reader took what was queued', async () => {
    const state = { peerReading: false }
    const l = link({ highWaterMark: FRAME_BYTES, read: false })
    const pauseAt = 3 * FRAME_BYTES
    const log: Event[] = []
    let secondPageSent!: () => void
    const stuck = new Promise<void>(resolve => { secondPageSent = resolve })
    const pages = cursorRead(l, range(30), 5, log, () => {
      if (log.filter(e => e.kind === 'sent').length === 2) secondPageSent()
      return false
    }, state)
    const drain = drainPages(l.connection, pauseAt, pages)
    await within(stuck, 'two pages')
    // The first page's frames went to the transport, which is now full; the second's wait in our queue.
    assert.ok(l.connection.queuedFrameBytes >= pauseAt)
    state.peerReading = true
    l.peer.start()
    await within(drain, 'the drain to end once the reader reads')
    const reads = log.filter(e => e.kind === 'read')
    assert.ok(reads.length > 3)
    for (const read of reads.slice(2)) {
      assert.equal(read.kind === 'read' && read.peerReading, true, 'no page was read while the reader did not read')
    }
    await l.peer.until(() => ids(l).length === 30, 'every item')
    assert.deepEqual(ids(l), range(30))
  })

  it('does not start on a connection that is closing', async () => {
    const l = link()
    l.connection.end()
    const log: Event[] = []
    await within(drainPages(l.connection, 1 << 20, cursorRead(l, range(10), 4, log)), 'the drain to end')
    assert.deepEqual(log, [])
  })

  it('stops once the connection is closing, after the page in hand', async () => {
    const l = link()
    const log: Event[] = []
    const pages = cursorRead(l, range(10), 4, log, () => {
      l.connection.end()
      return false
    })
    await within(drainPages(l.connection, 1 << 20, pages), 'the drain to end')
    assert.equal(log.filter(e => e.kind === 'read').length, 1)
    await l.peer.until(() => l.peer.closed, 'the connection to close')
    assert.deepEqual(ids(l), range(4), 'what was queued before the end still went out')
  })

  it('stops when the reader vanishes while it waits', async () => {
    const l = link({ highWaterMark: FRAME_BYTES, read: false })
    const log: Event[] = []
    let waiting!: () => void
    const stuck = new Promise<void>(resolve => { waiting = resolve })
    const pages = cursorRead(l, range(100), 5, log, () => {
      if (log.filter(e => e.kind === 'sent').length === 2) waiting()
      return false
    })
    const drain = drainPages(l.connection, 2 * FRAME_BYTES, pages)
    await within(stuck, 'the drain to fill the queue')
    l.client.destroy()
    await within(drain, 'the drain to end once the connection is gone')
    assert.equal(l.connection.closing, true)
    assert.equal(log.filter(e => e.kind === 'read').length, 2)
  })
})

/** An answer a turn later, as a store over the network gives it. */
async function later<R> (answer: () => MaybePromise<R>): Promise<R> {
  return await new Promise(resolve => { setImmediate(() => { resolve(answer()) }) })
}

/** The same paged read, but `read` and `sent` answer a turn later. */
function deferred (pages: PagedRead<number>): PagedRead<number> {
  return {
    read: async () => await later(pages.read),
    send: pages.send,
    sent: async (page, sent) => await later(() => pages.sent(page, sent))
  }
}

describe('drainPages, with reads that answer later', () => {
  it('sends each item once, in order, never past pauseAt, and ends when the read finds nothing', async () => {
    const l = link({ highWaterMark: 2 * FRAME_BYTES })
    const pauseAt = 4 * FRAME_BYTES + 10
    const log: Event[] = []
    await within(drainPages(l.connection, pauseAt, deferred(cursorRead(l, range(60), 10, log))), 'the drain to end')
    for (const event of log) if (event.kind === 'send') assert.ok(event.queued < pauseAt, `sent item ${event.item} with ${event.queued} bytes queued`)
    assert.ok(log.some(e => e.kind === 'sent' && e.sent < e.page.length), 'pauseAt was reached')
    await l.peer.until(() => ids(l).length === 60, 'every item')
    assert.deepEqual(ids(l), range(60))
  })

  it('ends when sent answers true later, without reading again', async () => {
    const l = link()
    const log: Event[] = []
    await within(drainPages(l.connection, 1 << 20, deferred(cursorRead(l, range(10), 4, log, (_page, _sent, cursor) => cursor >= 8))), 'the drain to end')
    assert.equal(log.filter(e => e.kind === 'read').length, 2)
    await l.peer.until(() => ids(l).length === 8, 'two pages')
  })

  it('rejects with the read\'s error, and reads no more', async () => {
    const l = link()
    let reads = 0
    const pages: PagedRead<number> = {
      read: async () => { reads++; throw new Error('store unreachable') },
      send: () => { throw new Error('nothing to send') },
      sent: () => false
    }
    await assert.rejects(within(drainPages(l.connection, 1 << 20, pages), 'the drain to fail'), /store unreachable/)
    assert.equal(reads, 1)
  })

  it('a page read while the connection was ending is not sent', async () => {
    const l = link()
    const log: Event[] = []
    const pages = cursorRead(l, range(10), 4, log)
    const ending = async (): Promise<number[] | undefined> => {
      const page = await pages.read()
      l.connection.end()
      return page
    }
    await within(drainPages(l.connection, 1 << 20, { ...pages, read: ending }), 'the drain to end')
    assert.equal(log.filter(e => e.kind === 'read').length, 1)
    assert.deepEqual(log.filter(e => e.kind === 'send'), [])
  })
})
