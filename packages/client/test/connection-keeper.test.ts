import { test } from 'node:test'
import assert from 'node:assert/strict'
import { decodeClientMessage, FrameDecoder } from '@chat/protocol'
import { ChatError } from '../src/chat-error.js'
import { tick } from './fakes.js'
import { setup, until } from './keeper-fixture.js'

test('start: opens a transport, logs in with the options, and takes the name, account and server limits from the welcome', async () => {
  const { keeper, hellos } = setup({ password: 'correct horse', register: true })
  assert.deepEqual({ username: keeper.username, registered: keeper.registered, server: keeper.server }, { username: '', registered: false, server: undefined })
  await keeper.start()
  assert.deepEqual(hellos, [{ type: 'hello', v: 1, username: 'alice', accept: ['msgs'], password: 'correct horse', register: true }])
  assert.equal(keeper.state, 'connected')
  assert.ok(keeper.connection !== undefined && keeper.writableConnection === keeper.connection)
  assert.deepEqual([keeper.username, keeper.registered], ['Alice', true])
  assert.equal(keeper.server?.maxTextBytes, 4_096)
  assert.ok(Object.isFrozen(keeper.server), 'the app cannot change what the server said')
  keeper.cut()
})

test('start: a client whose frame limit is below MAX_RUN_BYTES does not accept runs of messages; at it, it does', async () => {
  for (const [maxFrameBytes, accept] of [[16 * 1024, undefined], [32 * 1024, ['msgs']]] as const) {
    const { keeper, hellos } = setup({ maxFrameBytes })
    await keeper.start()
    assert.deepEqual(hellos.map(h => h.accept), [accept], `maxFrameBytes ${maxFrameBytes}`)
    keeper.cut()
  }
})

test('start: a refused first login is final: closed with the refusal, no retry', async () => {
  const { keeper, closed, hellos } = setup({}, [new ChatError('name_taken', 'taken')])
  await assert.rejects(keeper.start(), { code: 'name_taken' })
  assert.equal((await closed)?.code, 'name_taken')
  assert.equal(keeper.state, 'closed')
  assert.equal(hellos.length, 1)
})

test('a login that never answers fails with timeout after connectTimeoutMs', async () => {
  const { keeper, duplexes } = setup({ connectTimeoutMs: 30 }, ['hang'])
  await assert.rejects(keeper.start(), { code: 'timeout' })
  await tick()
  assert.equal(duplexes[0].destroyed, true, 'the half-open attempt is given up')
})

test('the caller\'s signal aborts the first login (aborted, not timeout)', async () => {
  const { keeper } = setup({}, ['hang'])
  const controller = new AbortController()
  const started = keeper.start(controller.signal)
  await tick()
  controller.abort()
  await assert.rejects(started, { code: 'aborted' })
})

test('a lost connection: disconnect, backoff, and a login that resumes the session (no register) on a new connection', async () => {
  const { keeper, duplexes, hellos, events, types, reconnected, lost } = setup({ password: 'pw', register: true })
  await keeper.start()
  const first = keeper.connection!
  duplexes[0].drop()
  await until(() => keeper.state === 'connected' && keeper.connection !== first, 'the reconnect')
  assert.deepEqual(types(), ['disconnect', 'reconnecting', 'reconnect'])
  assert.equal((events[0] as { error: ChatError }).error.code, 'connection_closed')
  const url = 'tcp://memory:1'
  assert.equal((events[0] as { url: string }).url, url)
  assert.deepEqual(events.slice(1), [{ type: 'reconnecting', attempt: 1, delayMs: 1, url }, { type: 'reconnect', attempt: 1, url }])
  assert.deepEqual(hellos[1], { type: 'hello', v: 1, username: 'alice', accept: ['msgs'], password: 'pw', resume: 'session-1' })
  assert.deepEqual(reconnected, [keeper.connection])
  assert.deepEqual(lost, [{ connection: first, code: 'connection_closed' }])
  keeper.cut()
})

test('while reconnecting there is no connection for calls; attempts back off as the policy says', async () => {
  const { keeper, duplexes, events, refuse } = setup({ reconnectTimeWait: 2, maxReconnectTimeWait: 8, maxReconnectAttempts: 5 })
  await keeper.start()
  refuse(true)
  duplexes[0].drop()
  await until(() => events.filter(e => e.type === 'reconnecting').length >= 4, 'four attempts')
  assert.equal(keeper.state, 'reconnecting')
  assert.equal(keeper.connection, undefined)
  assert.equal(keeper.writableConnection, undefined)
  const delays = events.flatMap(e => e.type === 'reconnecting' ? [e.delayMs] : [])
  assert.deepEqual(delays.slice(0, 4), [2, 4, 8, 8])
  refuse(false)
  await until(() => keeper.state === 'connected', 'the reconnect')
  keeper.cut()
})

test('out of attempts: closed with reconnect_failed, its cause the last error', async () => {
  const { keeper, duplexes, closed, types, refuse } = setup({ maxReconnectAttempts: 3 })
  await keeper.start()
  refuse(true)
  duplexes[0].drop()
  const reason = await closed
  assert.equal(reason?.code, 'reconnect_failed')
  assert.match(reason!.message, /after 3 attempt/)
  assert.equal((reason!.cause as ChatError).code, 'connect_failed')
  assert.equal(types().filter(t => t === 'reconnecting').length, 3)
  assert.equal(keeper.state, 'closed')
})

test('a login refused for good while reconnecting (auth_failed) stops at once with that error', async () => {
  const { keeper, duplexes, closed, hellos } = setup({ maxReconnectAttempts: -1 }, ['welcome', new ChatError('auth_failed', 'no')])
  await keeper.start()
  duplexes[0].drop()
  assert.equal((await closed)?.code, 'auth_failed')
  assert.equal(hellos.length, 2)
})

test('a login refused for now (name_taken) is retried', async () => {
  const { keeper, duplexes, hellos } = setup({}, ['welcome', new ChatError('name_taken', 'not yet'), 'welcome'])
  await keeper.start()
  duplexes[0].drop()
  await until(() => hellos.length === 3 && keeper.state === 'connected', 'the second attempt')
  keeper.cut()
})

test('reconnect: false makes the first loss final, with its reason', async () => {
  const { keeper, duplexes, closed, types } = setup({ reconnect: false })
  await keeper.start()
  duplexes[0].drop()
  assert.equal((await closed)?.code, 'connection_closed')
  assert.deepEqual(types(), [])
})

test('close(): says goodbye and is closed (undefined) once the connection ends', async () => {
  const { keeper, duplexes, closed, wasClosed } = setup()
  await keeper.start()
  keeper.close()
  assert.equal(keeper.state, 'closing')
  await until(() => duplexes[0].written.length > 0, 'the goodbye to be written')
  const frames = [...new FrameDecoder(1024).push(Buffer.concat(duplexes[0].written))].map(frame => decodeClientMessage(frame))
  assert.deepEqual(frames.map(f => f.type), ['bye'])
  assert.equal(wasClosed(), false, 'waits for the server to close')
  duplexes[0].drop()
  assert.equal(await closed, undefined)
})

test('close() while reconnecting stops the attempts and closes at once', async () => {
  const { keeper, duplexes, closed, hellos, refuse, events } = setup({ maxReconnectAttempts: -1 })
  await keeper.start()
  refuse(true)
  duplexes[0].drop()
  await until(() => events.some(e => e.type === 'reconnecting'), 'an attempt')
  keeper.close()
  assert.equal(await closed, undefined)
  refuse(false)
  await new Promise(resolve => setTimeout(resolve, 20))
  assert.equal(hellos.length, 1)
})

test('cut(): closed at once, the connection destroyed without waiting, and not taken for a loss', async () => {
  const { keeper, duplexes, wasClosed, closed, types, lost } = setup()
  await keeper.start()
  keeper.cut()
  assert.equal(wasClosed(), true)
  assert.equal(keeper.state, 'closed')
  assert.equal(duplexes[0].destroyed, true)
  assert.equal(await closed, undefined)
  await tick()
  assert.deepEqual(types(), [], 'no disconnect, no reconnect')
  assert.equal(lost.length, 1, 'what was bound to it is told')
  keeper.close()
  keeper.cut()
})

test('a session replaced by a newer login of ours is final', async () => {
  const { keeper, closed } = setup()
  await keeper.start()
  keeper.connection!.abort(new ChatError('session_replaced', 'logged in elsewhere'))
  assert.equal((await closed)?.code, 'session_replaced')
})
