import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { AckMessage } from '@chat/protocol'
import { CallTable, MAX_RATE_LIMITED_RETRIES, MAX_RATE_LIMITED_WAIT_MS } from '../src/call-table.js'
import { ChatError } from '../src/chat-error.js'
import { FakeConnection, tick, track } from './fakes.js'

function table (options: { offlineTimeoutMs?: number, maxPendingCalls?: number } = {}): CallTable<FakeConnection> {
  return new CallTable<FakeConnection>({ offlineTimeoutMs: options.offlineTimeoutMs ?? 10_000, maxPendingCalls: options.maxPendingCalls ?? 100 })
}

function ack (re: number, id: number): AckMessage {
  return { type: 'ack', re, id, ts: 1_000 + id }
}

test('a call goes out with a fresh req right after its type, and its reply settles it', async () => {
  const calls = table()
  const connection = new FakeConnection()
  const first = calls.call({ type: 'send', room: 'r', text: 'a', key: 'k1' }, connection)
  const second = calls.call({ type: 'rooms' }, connection)
  assert.deepEqual(connection.sent.map(m => Object.keys(m).slice(0, 2)), [['type', 'req'], ['type', 'req']])
  const [req1, req2] = connection.sent.map(m => (m as { req: number }).req)
  assert.notEqual(req1, req2)
  assert.ok(connection.spaces >= 2, 'a call awaiting its reply nudges the read loop')
  assert.equal(calls.size, 2)
  calls.settle(calls.get(req1)!, ack(req1, 7))
  assert.deepEqual(await first, ack(req1, 7))
  calls.settle(calls.get(req2)!, new ChatError('no_such_room', 'none'))
  await assert.rejects(second, { code: 'no_such_room' })
  assert.equal(calls.size, 0)
  assert.equal(calls.get(req1), undefined)
})

test('a call made without a connection waits for one, is sent there, and times out if none comes', async () => {
  const calls = table({ offlineTimeoutMs: 30 })
  const waiting = track(calls.call({ type: 'rooms' }, undefined))
  await tick()
  assert.equal(waiting.settled(), false)
  const connection = new FakeConnection()
  calls.resendWaiting(connection)
  assert.equal(connection.sent.length, 1)
  calls.settle(calls.get(connection.lastReq)!, { type: 'room_list', re: connection.lastReq, rooms: [] })
  assert.deepEqual(await waiting.promise, { type: 'room_list', re: connection.lastReq, rooms: [] })

  await assert.rejects(calls.call({ type: 'rooms' }, undefined), { code: 'timeout' })
  assert.equal(calls.size, 0)
})

test('a lost connection: app calls are resent on the next with the same body; requests bound to it fail', async () => {
  const calls = table()
  const lost = new FakeConnection()
  const send = calls.call({ type: 'send', room: 'r', text: 'once', key: 'same-key' }, lost)
  const replay = calls.request(lost, { type: 'replay', room: 'r', after: 3 }, false)
  const oldReq = lost.sent[0] as { req: number }
  calls.connectionLost(lost, new ChatError('connection_closed', 'lost'))
  await assert.rejects(replay.reply, { code: 'connection_closed' })
  assert.equal(calls.get(oldReq.req), undefined, 'a reply on the old connection is not for this call any more')

  const next = new FakeConnection()
  calls.resendWaiting(next)
  assert.equal(next.sent.length, 1)
  const resent = next.sent[0] as { type: string, req: number, key: string, text: string }
  assert.deepEqual([resent.type, resent.key, resent.text], ['send', 'same-key', 'once'])
  assert.notEqual(resent.req, oldReq.req)
  calls.settle(calls.get(resent.req)!, ack(resent.req, 9))
  assert.equal((await send).type, 'ack')
})

test('resendWaiting sends only the calls with no connection, in the order they were made', () => {
  const calls = table()
  const live = new FakeConnection()
  for (const call of [
    calls.call({ type: 'rooms' }, live),
    calls.call({ type: 'members', room: 'a' }, undefined),
    calls.call({ type: 'members', room: 'b' }, undefined)
  ]) call.catch(() => {})
  const next = new FakeConnection()
  calls.resendWaiting(next)
  assert.deepEqual(next.sent.map(m => (m as { room?: string }).room), ['a', 'b'])
  calls.rejectAll(new ChatError('connection_closed', 'done'))
})

test('maxPendingCalls: calls beyond it reject with outbound_full, waiting ones included', async () => {
  const calls = table({ maxPendingCalls: 2 })
  const connection = new FakeConnection()
  const a = calls.call({ type: 'rooms' }, connection)
  const b = calls.call({ type: 'rooms' }, undefined)
  await assert.rejects(calls.call({ type: 'rooms' }, connection), { code: 'outbound_full' })
  calls.rejectAll(new ChatError('connection_closed', 'done'))
  await assert.rejects(a, { code: 'connection_closed' })
  await assert.rejects(b, { code: 'connection_closed' })
})

test('a connection that refuses the frame (full queue) fails the call with outbound_full; one that throws, with its error', async () => {
  const calls = table()
  const full = new FakeConnection()
  full.accepts = false
  await assert.rejects(calls.call({ type: 'rooms' }, full), { code: 'outbound_full' })
  const throwing = new FakeConnection()
  throwing.send = () => { throw new ChatError('message_too_long', 'too big') }
  await assert.rejects(calls.call({ type: 'rooms' }, throwing), { code: 'message_too_long' })
  assert.equal(calls.size, 0)
})

test('aborting a call rejects it with aborted and forgets it; an aborted signal refuses at once', async () => {
  const calls = table()
  const connection = new FakeConnection()
  const controller = new AbortController()
  const call = calls.call({ type: 'rooms' }, connection, controller.signal)
  const req = connection.lastReq
  controller.abort(new Error('user'))
  await assert.rejects(call, { code: 'aborted' })
  assert.equal(calls.get(req), undefined)
  await assert.rejects(calls.call({ type: 'rooms' }, connection, controller.signal), { code: 'aborted' })
  assert.equal(connection.sent.length, 1)
  const request = calls.request(connection, { type: 'rooms' }, true, controller.signal)
  assert.equal(request.req, -1)
  await assert.rejects(request.reply, { code: 'aborted' })
})

test('settle is once: a late reply or error for a settled call changes nothing', async () => {
  const calls = table()
  const connection = new FakeConnection()
  const call = calls.call({ type: 'rooms' }, connection)
  const pending = calls.get(connection.lastReq)!
  calls.settle(pending, { type: 'room_list', re: connection.lastReq, rooms: [] })
  calls.settle(pending, new ChatError('internal', 'late'))
  assert.equal((await call).type, 'room_list')
})

test('holdsReading: true while an app call or a login awaits its reply, not for replays', () => {
  const calls = table()
  const connection = new FakeConnection()
  const replay = calls.request(connection, { type: 'replay', room: 'r', after: 0 }, false)
  assert.equal(calls.holdsReading, false)
  const login = calls.request(connection, { type: 'hello', v: 1, username: 'alice' }, true)
  assert.equal(calls.holdsReading, true)
  calls.settle(calls.get(login.req)!, new ChatError('auth_failed', 'no'))
  assert.equal(calls.holdsReading, false)
  calls.call({ type: 'rooms' }, undefined).catch(() => {})
  assert.equal(calls.holdsReading, false, 'a call waiting for a connection awaits nothing on this one')
  calls.rejectAll(new ChatError('connection_closed', 'done'))
  login.reply.catch(() => {})
  replay.reply.catch(() => {})
})

test('get tells app calls (resent) from requests bound to a connection, and where each went', () => {
  const calls = table()
  const connection = new FakeConnection()
  calls.call({ type: 'join', room: 'r' }, connection).catch(() => {})
  const appReq = connection.lastReq
  const rejoin = calls.request(connection, { type: 'join', room: 'r' }, false)
  rejoin.reply.catch(() => {})
  assert.equal(calls.get(appReq)?.resend, true)
  assert.equal(calls.get(rejoin.req)?.resend, false)
  assert.equal(calls.get(rejoin.req)?.connection, connection)
  calls.rejectAll(new ChatError('connection_closed', 'done'))
})

test('drain: new calls refuse with connection_closed; it resolves once every earlier app call settled, however', async () => {
  const calls = table()
  const connection = new FakeConnection()
  const a = calls.call({ type: 'rooms' }, connection)
  const reqA = connection.lastReq
  const b = calls.call({ type: 'rooms' }, connection)
  const reqB = connection.lastReq
  const drained = track(calls.drain())
  await assert.rejects(calls.call({ type: 'rooms' }, connection), { code: 'connection_closed' })
  calls.settle(calls.get(reqA)!, { type: 'room_list', re: reqA, rooms: [] })
  await a
  await tick()
  assert.equal(drained.settled(), false)
  calls.settle(calls.get(reqB)!, new ChatError('internal', 'failed'))
  await assert.rejects(b)
  await drained.promise
})

test('a call refused with rate_limited is sent again by the connection, the same request (same req, same key), a bounded number of times', async () => {
  const calls = table()
  const connection = new FakeConnection()
  const send = calls.call({ type: 'send', room: 'r', text: 'a', key: 'k' }, connection)
  const sent = connection.sent[0]
  const req = connection.lastReq
  for (let i = 0; i < MAX_RATE_LIMITED_RETRIES; i++) assert.equal(calls.retryLater(calls.get(req)!, 5), true)
  assert.equal(connection.resent.length, MAX_RATE_LIMITED_RETRIES)
  assert.ok(connection.resent.every(r => r.delayMs === 5 && JSON.stringify(r.message) === JSON.stringify(sent)), 'the same message each time')
  assert.equal(calls.retryLater(calls.get(req)!, 5), false, 'not forever')
  calls.settle(calls.get(req)!, new ChatError('rate_limited', 'slow down', { retryAfterMs: 5 }))
  const err = await send.catch((e: unknown) => e) as ChatError
  assert.equal(err.code, 'rate_limited')
  assert.equal(err.retryAfterMs, 5)
})

test('a rate_limited call told to wait longer than MAX_RATE_LIMITED_WAIT_MS is not retried', () => {
  const calls = table()
  const connection = new FakeConnection()
  void calls.call({ type: 'rooms' }, connection).catch(() => {})
  assert.equal(calls.retryLater(calls.get(connection.lastReq)!, MAX_RATE_LIMITED_WAIT_MS + 1), false)
  assert.equal(calls.retryLater(calls.get(connection.lastReq)!, MAX_RATE_LIMITED_WAIT_MS), true)
  calls.rejectAll(new ChatError('connection_closed', 'done'))
})
