import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ChatError } from '../src/chat-error.js'
import type { StatusEvent } from '../src/status.js'
import { setup, until } from './keeper-fixture.js'

// The keeper with several addresses: which one each attempt goes to, and the waits before them.
const A = 'tcp://memory:1'
const B = 'tcp://memory:2'
const C = 'tcp://memory:3'
const NO_JITTER = { reconnectJitter: 0, reconnectTimeWait: 1, maxReconnectTimeWait: 8 }

function attempts (events: StatusEvent[]): Array<{ url: string, delayMs: number }> {
  return events.flatMap(e => e.type === 'reconnecting' ? [{ url: e.url, delayMs: e.delayMs }] : [])
}

test('first connect: an address that refuses is left for the next, once each, in the order given', async () => {
  const { keeper, dialed, refuse } = setup({}, [], [A, B, C])
  refuse([A])
  await keeper.start()
  assert.deepEqual(dialed, [A, B])
  assert.equal(keeper.url, B)
  keeper.cut()
})

test('first connect: a login refusal (name_taken) is final: the next address would say the same', async () => {
  const { keeper, dialed, closed } = setup({}, [new ChatError('name_taken', 'taken')], [A, B])
  await assert.rejects(keeper.start(), { code: 'name_taken', message: 'taken' })
  assert.deepEqual(dialed, [A])
  assert.equal((await closed)?.code, 'name_taken')
})

test('first connect: a login that never answers times out and the next address is tried', async () => {
  const { keeper, dialed } = setup({ connectTimeoutMs: 30 }, ['hang', 'welcome'], [A, B])
  await keeper.start()
  assert.deepEqual(dialed, [A, B])
  assert.equal(keeper.url, B)
  keeper.cut()
})

test('first connect: every address failing rejects with the last code, saying what each address said', async () => {
  const { keeper, dialed, closed, refuse } = setup({ connectTimeoutMs: 30 }, ['hang'], [A, B])
  refuse([B])
  const error = await keeper.start().then(() => assert.fail('connected'), (err: unknown) => err)
  assert.ok(error instanceof ChatError)
  assert.equal(error.code, 'connect_failed')
  assert.match(error.message, /^none of the 2 servers could be reached: tcp:\/\/memory:1: no answer .*; could not connect to tcp:\/\/memory:2: refused$/)
  assert.equal((error.cause as ChatError).code, 'connect_failed')
  assert.deepEqual(dialed, [A, B])
  assert.equal(await closed, error)
})

test('first connect: the caller\'s abort stops at once, without trying the next address', async () => {
  const { keeper, dialed } = setup({}, ['hang'], [A, B])
  const controller = new AbortController()
  const started = keeper.start(controller.signal)
  await until(() => dialed.length === 1, 'the first dial')
  controller.abort()
  await assert.rejects(started, { code: 'aborted' })
  assert.deepEqual(dialed, [A])
})

test('a loss goes round robin from the next address; the backoff comes only once every address failed, the lost one last', async () => {
  const { keeper, duplexes, events, refuse, closed } = setup({ ...NO_JITTER, maxReconnectAttempts: 2 }, [], [A, B, C])
  await keeper.start()
  refuse(true)
  duplexes[0].drop()
  const reason = await closed
  assert.equal(reason?.code, 'reconnect_failed')
  assert.match(reason!.message, /after 6 attempt/, 'maxReconnectAttempts counts the attempts at each address')
  assert.deepEqual(attempts(events), [
    { url: B, delayMs: 0 }, { url: C, delayMs: 0 }, { url: A, delayMs: 1 },
    { url: B, delayMs: 0 }, { url: C, delayMs: 0 }, { url: A, delayMs: 2 }
  ])
  assert.deepEqual(events[0], { type: 'disconnect', error: (events[0] as { error: ChatError }).error, url: A })
})

test('a loss on the second address goes on to the third: the round starts after the address lost', async () => {
  const { keeper, duplexes, dialed, events, refuse } = setup(NO_JITTER, [], [A, B, C])
  refuse([A])
  await keeper.start()
  assert.equal(keeper.url, B)
  refuse([])
  duplexes[0].drop()
  await until(() => keeper.state === 'connected' && dialed.length === 3, 'the reconnect')
  assert.deepEqual(dialed, [A, B, C])
  assert.equal(keeper.url, C)
  assert.deepEqual(events.slice(1), [{ type: 'reconnecting', attempt: 1, delayMs: 0, url: C }, { type: 'reconnect', attempt: 1, url: C }])
  keeper.cut()
})

test('the failover wait is the jitter alone, at most reconnectJitter', async () => {
  const { keeper, duplexes, events, refuse } = setup({ reconnectJitter: 5, reconnectTimeWait: 1_000, maxReconnectTimeWait: 10_000, maxReconnectAttempts: -1 }, [], [A, B])
  await keeper.start()
  refuse([B])
  duplexes[0].drop()
  await until(() => attempts(events).length >= 2, 'the second attempt to be announced')
  const [toB, toA] = attempts(events)
  assert.equal(toB.url, B)
  assert.ok(toB.delayMs <= 5, `to the next address: ${toB.delayMs} ms`)
  assert.equal(toA.url, A)
  assert.ok(toA.delayMs >= 1_000, `back to the lost address after a round: ${toA.delayMs} ms`)
  keeper.cut()
})

test('while reconnecting the url stays the one the client was on; with one address every attempt backs off, as before', async () => {
  const { keeper, duplexes, events, refuse } = setup({ ...NO_JITTER, maxReconnectAttempts: -1 })
  await keeper.start()
  refuse(true)
  duplexes[0].drop()
  await until(() => attempts(events).length >= 3, 'three attempts')
  assert.equal(keeper.url, A)
  assert.deepEqual(attempts(events).slice(0, 3), [{ url: A, delayMs: 1 }, { url: A, delayMs: 2 }, { url: A, delayMs: 4 }])
  keeper.cut()
})
