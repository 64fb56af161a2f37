import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatMessage } from '@chat/protocol'
import type { RequestBody } from '../src/call-table.js'
import { ChatError } from '../src/chat-error.js'
import { ResumeTracker } from '../src/resume-tracker.js'
import { Subscription } from '../src/subscription.js'
import { tick } from './fakes.js'

interface SentRequest {
  req: number
  body: RequestBody
  fail: (error: ChatError) => void
  succeed: () => void
}

/** A tracker whose requests are recorded (and settled by the test), and whose deliveries are collected. */
function setup () {
  const delivered: ChatMessage[] = []
  const direct: ChatMessage[] = []
  const requests: SentRequest[] = []
  const failures: Array<{ room: string, code: string }> = []
  let nextReq = 100
  const tracker = new ResumeTracker<{ isEnded: boolean }>(
    { deliver: m => { delivered.push(m) }, deliverDirect: m => { direct.push(m) } },
    {
      request: (_connection, body) => {
        const req = ++nextReq
        let fail!: (error: ChatError) => void
        let succeed!: () => void
        const reply = new Promise<unknown>((resolve, reject) => { succeed = () => { resolve(undefined) }; fail = reject })
        requests.push({ req, body, fail, succeed })
        return { req, reply }
      },
      resumeFailed: (room, error) => { failures.push({ room, code: error.code }) }
    }
  )
  const connection = { isEnded: false }
  const ids = (): number[] => delivered.map(m => m.id)
  return { tracker, delivered, direct, requests, failures, connection, ids }
}

function msg (room: string, id: number, extra: Partial<ChatMessage> = {}): ChatMessage {
  return { type: 'msg', id, room, from: 'bob', text: `m${id}`, ts: 1_000 + id, ...extra }
}

function dm (id: number, ts = 5_000 + id): ChatMessage {
  return { type: 'msg', id, to: 'alice', from: 'bob', text: `d${id}`, ts }
}

test('live room messages pass in order, once: a repeat or an older id is dropped', () => {
  const { tracker, ids } = setup()
  tracker.joined('r', 10)
  for (const id of [10, 11, 12, 12, 11, 13]) tracker.route(msg('r', id))
  assert.deepEqual(ids(), [11, 12, 13])
})

test('messages of a room not joined (no state) pass as they come', () => {
  const { tracker, ids } = setup()
  for (const id of [3, 3, 1]) tracker.route(msg('other', id))
  assert.deepEqual(ids(), [3, 3, 1])
})

test('joining a tracked room again keeps what was delivered; leaving forgets the room', () => {
  const { tracker, ids } = setup()
  tracker.joined('r', 5)
  tracker.route(msg('r', 6))
  tracker.joined('r', 2)
  tracker.route(msg('r', 6))
  assert.deepEqual(ids(), [6])
  assert.deepEqual(tracker.rooms, ['r'])
  tracker.left('r')
  assert.deepEqual(tracker.rooms, [])
})

test('after a reconnect: live messages wait while resuming, the replay fills the gap, then live ones go on without overlap', () => {
  const { tracker, requests, connection, ids } = setup()
  tracker.joined('r', 0)
  tracker.route(msg('r', 1))
  tracker.route(msg('r', 2))
  tracker.startResuming()
  tracker.route(msg('r', 5)) // a resumed session still in the room: live before the rejoin
  assert.deepEqual(ids(), [1, 2])
  tracker.resume(connection)
  assert.deepEqual(requests.map(r => r.body), [{ type: 'join', room: 'r' }])
  tracker.rejoined(connection, 'r', 6)
  const replay = requests[1]
  assert.deepEqual(replay.body, { type: 'replay', room: 'r', after: 2 })
  tracker.route(msg('r', 7)) // live, while the replay runs: the replay brings it
  for (const id of [3, 4, 5, 6]) tracker.route(msg('r', id, { replay: replay.req }))
  tracker.replayDone(replay.req, 6)
  tracker.route(msg('r', 6)) // live, already had
  tracker.route(msg('r', 7))
  assert.deepEqual(ids(), [1, 2, 3, 4, 5, 6, 7])
  assert.equal(tracker.rooms.length, 1)
})

test('replayed messages lose their replay tag before they are delivered', () => {
  const { tracker, requests, connection, delivered } = setup()
  tracker.joined('r', 0)
  tracker.startResuming()
  tracker.rejoined(connection, 'r', 1)
  tracker.route(msg('r', 1, { replay: requests[0].req }))
  assert.equal(delivered[0].replay, undefined)
  assert.equal('replay' in delivered[0], false)
})

test('a rejoin that finds nothing new ends the resuming without a replay', () => {
  const { tracker, requests, connection, ids } = setup()
  tracker.joined('r', 4)
  tracker.startResuming()
  tracker.rejoined(connection, 'r', 4)
  assert.equal(requests.length, 0)
  tracker.route(msg('r', 5))
  assert.deepEqual(ids(), [5])
})

test('replayed messages of a replay we do not know (a stale req) are dropped', () => {
  const { tracker, ids } = setup()
  tracker.joined('r', 0)
  tracker.route(msg('r', 1, { replay: 999 }))
  assert.deepEqual(ids(), [])
})

test('a failed catch-up forgets the room and reports it; a failure because the connection ended does not', async () => {
  const { tracker, requests, connection, failures } = setup()
  tracker.joined('a', 0)
  tracker.joined('b', 0)
  tracker.startResuming()
  tracker.rejoined(connection, 'a', 3)
  requests[0].fail(new ChatError('history_gone', 'gone'))
  await tick()
  assert.deepEqual(failures, [{ room: 'a', code: 'history_gone' }])
  assert.deepEqual(tracker.rooms, ['b'])

  connection.isEnded = true
  tracker.rejoined(connection, 'b', 3)
  requests[1].fail(new ChatError('connection_closed', 'lost'))
  await tick()
  assert.equal(failures.length, 1)
  assert.deepEqual(tracker.rooms, ['b'], 'still tracked: the next reconnect resumes it')
})

test('a rejoin refused (not on a dead connection) is a failed resume too', async () => {
  const { tracker, requests, connection, failures } = setup()
  tracker.joined('r', 0)
  tracker.resume(connection)
  requests[0].fail(new ChatError('invalid_name', 'no'))
  await tick()
  assert.deepEqual(failures, [{ room: 'r', code: 'invalid_name' }])
})

test('since: the replay goes to its iterator alone, in order, then live messages above the replay\'s end', () => {
  const { tracker, requests, connection, ids } = setup()
  const subscriptions: Array<Subscription<ChatMessage>> = []
  const sub = tracker.since('r', 2, undefined, connection, (accepts, onEnd) => {
    const s = new Subscription<ChatMessage>(accepts, () => {}, onEnd)
    subscriptions.push(s)
    return s
  })
  const replay = requests[0]
  assert.deepEqual(replay.body, { type: 'replay', room: 'r', after: 2 })
  // Live messages while the replay runs are not new to the iterator yet.
  assert.equal(sub.accepts(msg('r', 9)), false)
  for (const id of [3, 4, 4]) tracker.route(msg('r', id, { replay: replay.req }))
  tracker.replayDone(replay.req, 5)
  assert.equal(sub.accepts(msg('r', 5)), false)
  assert.equal(sub.accepts(msg('r', 6)), true)
  assert.equal(sub.accepts(msg('other', 6)), false)
  assert.equal(sub.pending, 2)
  assert.deepEqual(ids(), [], 'replayed messages are not delivered to the other iterators')
})

test('since: an unfinished replay is issued again after a reconnect from the last id it had; a finished one is not', () => {
  const { tracker, requests, connection } = setup()
  const make = (accepts: (m: ChatMessage) => boolean, onEnd: () => void): Subscription<ChatMessage> => new Subscription<ChatMessage>(accepts, () => {}, onEnd)
  tracker.since('r', 0, 'bob', connection, make)
  tracker.since('done', 0, undefined, connection, make)
  tracker.route(msg('r', 1, { replay: requests[0].req }))
  tracker.replayDone(requests[1].req, 0)
  tracker.resume(connection)
  assert.deepEqual(requests.slice(2).map(r => r.body), [{ type: 'replay', room: 'r', after: 1 }])
})

test('since: without a connection the replay waits for resume(); an iterator that ended is not resumed', () => {
  const { tracker, requests, connection } = setup()
  const subs: Array<Subscription<ChatMessage>> = []
  const make = (accepts: (m: ChatMessage) => boolean, onEnd: () => void): Subscription<ChatMessage> => {
    const s = new Subscription<ChatMessage>(accepts, () => {}, onEnd)
    subs.push(s)
    return s
  }
  tracker.since('a', 0, undefined, undefined, make)
  tracker.since('b', 0, undefined, undefined, make)
  assert.equal(requests.length, 0)
  void subs[1].return()
  tracker.resume(connection)
  assert.deepEqual(requests.map(r => r.body), [{ type: 'replay', room: 'a', after: 0 }])
})

test('since: a refused replay ends its iterator with the error', async () => {
  const { tracker, requests, connection } = setup()
  const sub = tracker.since('r', 0, undefined, connection, (accepts, onEnd) => new Subscription<ChatMessage>(accepts, () => {}, onEnd))
  requests[0].fail(new ChatError('not_member', 'join first'))
  assert.equal(await sub.closed.then(e => e?.code), 'not_member')
  await assert.rejects(sub.next(), { code: 'not_member' })
})

test('direct messages pass once: one sent again after a resume (same from, to, id, ts) is dropped', () => {
  const { tracker, direct } = setup()
  tracker.route(dm(1))
  tracker.route(dm(2))
  tracker.route(dm(1))
  tracker.route(dm(1, 9_999)) // a new conversation reusing the id
  assert.deepEqual(direct.map(m => `${m.id}@${m.ts}`), ['1@5001', '2@5002', '1@9999'])
})
