// Runs of room messages (PROTOCOL.md §10) over a real TCP server: who gets them, and that they are the same messages.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ErrorCodes, messagesOfRun, PROTOCOL_VERSION } from '@chat/protocol'
import type { ChatMessage, MessageRunMessage, ServerMessage } from '@chat/protocol'
import { createServer, NO_RATE_LIMITS } from '@chat/server'
import { Harness, take } from '@chat/testing'
import type { RawClient } from '@chat/testing'
import { publishPipelined } from './support/publish.js'

const COUNT = 3_000

/** The room's messages a raw client received, runs unpacked, in order. */
function roomMessages (client: RawClient): ChatMessage[] {
  return client.received.flatMap((m: ServerMessage) => m.type === 'msgs' ? messagesOfRun(m) : m.type === 'msg' ? [m] : [])
}

async function rawIn (h: Harness, port: number, name: string, accept?: unknown): Promise<RawClient> {
  const client = await h.raw(port, name)
  const welcome = await client.request({ type: 'hello', v: PROTOCOL_VERSION, username: name, ...(accept === undefined ? {} : { accept }) })
  assert.equal(welcome.type, 'welcome', `${name}: ${JSON.stringify(welcome)}`)
  await client.join('general')
  return client
}

test('a burst reaches a client that accepts runs as msgs frames, the others as msg frames, the SDK as its messages: the same ones, in order', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { url, port } = await h.serve(createServer({ rateLimits: NO_RATE_LIMITS }), { transport: 'tcp' })
  const runs = await rawIn(h, port, 'runs', ['msgs'])
  const plain = await rawIn(h, port, 'plain')
  const later = await rawIn(h, port, 'later', ['a-kind-from-the-future']) // unknown names are ignored
  const [publisher, reader] = await h.clientsIn(url, 'general', ['pub', 'reader'])
  const texts = Array.from({ length: COUNT }, (_, i) => i % 7 === 0 ? `"quoted" ☃ ${i}` : `m${i}`)
  const read = take(reader.messages({ room: 'general' }), COUNT, 'the SDK reader\'s messages', 30_000)
  const acks = await publishPipelined(publisher, 'general', texts, 500)
  const sdk = await read
  for (const client of [runs, plain, later]) {
    await client.waitFor(() => roomMessages(client).length >= COUNT, `${client.name}: ${COUNT} messages`, 30_000)
  }

  const expected = roomMessages(plain)
  assert.deepEqual(expected.map(m => m.text), texts)
  assert.deepEqual(expected.map(m => [m.id, m.ts]), acks.map(a => [a.id, a.ts]))
  assert.deepEqual(roomMessages(runs), expected)
  assert.deepEqual(roomMessages(later), expected)
  assert.deepEqual(sdk.map(m => [m.id, m.room, m.from, m.text, m.ts]), expected.map(m => [m.id, m.room, m.from, m.text, m.ts]))

  const runFrames = runs.received.filter(m => m.type === 'msgs') as MessageRunMessage[]
  assert.equal(runs.received.filter(m => m.type === 'msg').length, 0, 'no msg frame to a client that accepts runs')
  assert.ok(runFrames.length < COUNT / 2, `${runFrames.length} runs for ${COUNT} pipelined messages: commits of several`)
  for (const client of [plain, later]) assert.equal(client.received.filter(m => m.type === 'msgs').length, 0, client.name)
})

test('hello.accept must be an array of strings: anything else is invalid_message, and the connection may log in again', async t => {
  const h = new Harness(t)
  const { port } = await h.serve(createServer(), { transport: 'tcp' })
  const client = await h.raw(port, 'picky')
  for (const accept of ['msgs', [1], { msgs: true }, null]) {
    const reply = await client.request({ type: 'hello', v: PROTOCOL_VERSION, username: 'picky', accept } as never)
    assert.equal(reply.type, 'error')
    assert.equal(reply.type === 'error' && reply.code, ErrorCodes.INVALID_MESSAGE, JSON.stringify(accept))
  }
  const welcome = await client.request({ type: 'hello', v: PROTOCOL_VERSION, username: 'picky', accept: ['msgs'] })
  assert.equal(welcome.type, 'welcome')
})

test('a replay answers with msg frames, to a client that accepts runs too', async t => {
  const h = new Harness(t)
  const { url, port } = await h.serve(createServer({ rateLimits: NO_RATE_LIMITS }), { transport: 'tcp' })
  const [publisher] = await h.clientsIn(url, 'general', ['pub'])
  await publishPipelined(publisher, 'general', ['one', 'two', 'three'], 3)
  const runs = await rawIn(h, port, 'runs', ['msgs'])
  const reply = await runs.request({ type: 'replay', room: 'general', after: 0 })
  assert.equal(reply.type, 'replay_done')
  const replayed = runs.received.filter(m => m.type === 'msg' && m.replay !== undefined) as ChatMessage[]
  assert.deepEqual(replayed.map(m => m.text), ['one', 'two', 'three'])
  assert.equal(runs.received.filter(m => m.type === 'msgs').length, 0)
})
