import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame } from '@chat/protocol'
import type { ChatMessage } from '@chat/protocol'
import type { PullDuplex } from '@chat/transport'
import { connect } from '../src/index.js'
import type { ChatClient } from '../src/index.js'

/**
 * The read path with no server: a transport that answers the login and then
 * plays recorded chunks of `msg` frames (as the SDK benchmark does), counting
 * how many chunks the client has pulled.
 */
async function recordedClient (chunks: Uint8Array[], highWaterMark: number): Promise<{ client: ChatClient, pulled: () => number, start: () => void }> {
  const welcome = encodeFrame({
    type: 'welcome', v: 1, re: 1, username: 'alice', heartbeatIntervalMs: 600_000, heartbeatTimeoutMs: 1_200_000,
    maxFrameBytes: 65_536, maxTextBytes: 16_384, registered: false, session: 's'
  })
  let pulled = 0
  let start!: () => void
  const started = new Promise<void>(resolve => { start = resolve })
  let end!: () => void
  const closed = new Promise<void>(resolve => { end = resolve })
  const transport = async (): Promise<PullDuplex> => ({
    source: (async function * () {
      yield welcome
      await started
      for (const chunk of chunks) {
        pulled++
        yield chunk
      }
      await closed
    })(),
    sink: async source => { for await (const _ of source) { /* the client's frames are not needed */ } },
    destroy: () => { end() },
    writableLength: 0,
    closed,
    remoteAddress: 'memory'
  })
  const client = await connect('tcp://memory:1', { username: 'alice', transport, reconnect: false, closeTimeoutMs: 10, highWaterMark })
  return { client, pulled: () => pulled, start }
}

function message (id: number): ChatMessage {
  return { type: 'msg', id, room: 'general', from: 'bob', text: `m${id}`, ts: 1_000 + id }
}

/** `count` messages, `perChunk` frames to a chunk. */
function recording (count: number, perChunk: number): Uint8Array[] {
  const chunks: Uint8Array[] = []
  for (let first = 1; first <= count; first += perChunk) {
    const frames: Uint8Array[] = []
    for (let id = first; id < first + perChunk && id <= count; id++) frames.push(encodeFrame(message(id)))
    chunks.push(Buffer.concat(frames))
  }
  return chunks
}

test('a consumer slower than the socket pauses reading once per refill, not once per message taken', { timeout: 30_000 }, async () => {
  const { client, start } = await recordedClient(recording(2_000, 50), 8)
  let pauses = 0
  const status = client.status()
  const counting = (async () => { for await (const e of status) if (e.type === 'slow_consumer') pauses++ })()
  const inbox = client.messages()
  start()
  let received = 0
  for await (const m of inbox) {
    assert.equal(m.id, ++received)
    if (received === 2_000) break
  }
  await client.close()
  await counting
  // 40 chunks: reading pauses after each (50 messages is over the mark of 8) and resumes once the app is below it.
  assert.ok(pauses > 0, 'reading paused')
  assert.ok(pauses <= 40, `paused ${pauses} times for 40 chunks`)
})

test('an app that stops iterating stops the chunks being pulled; taking the held messages lets reading go on', { timeout: 30_000 }, async () => {
  const { client, pulled, start } = await recordedClient(recording(1_000, 10), 32)
  const inbox = client.messages()
  start()
  await new Promise(resolve => setTimeout(resolve, 50))
  // Reading stops once the iterator holds 32: the fourth chunk made it full.
  assert.equal(pulled(), 4)
  assert.equal(inbox.pending, 40)
  for (let id = 1; id <= 8; id++) assert.equal((await inbox.next()).value?.id, id)
  await new Promise(resolve => setTimeout(resolve, 50))
  assert.equal(pulled(), 4, 'still at the mark (32 held): no more read')
  assert.equal((await inbox.next()).value?.id, 9)
  await new Promise(resolve => setTimeout(resolve, 50))
  assert.equal(pulled(), 5, 'below the mark: one more chunk, then full again')
  await client.close()
})

test('aborting a full iterator nobody reads lets the client read on for another', { timeout: 30_000 }, async () => {
  const { client, start } = await recordedClient(recording(500, 10), 8)
  const controller = new AbortController()
  const ignored = client.messages({ signal: controller.signal })
  const read = client.messages()
  start()
  const got: number[] = []
  for await (const m of read) {
    got.push(m.id)
    // Both hold 10 (over the mark of 8): reading paused, and only the end of `ignored` can resume it.
    if (got.length === 5) controller.abort()
    if (got.length === 500) break
  }
  assert.deepEqual(got, Array.from({ length: 500 }, (_, i) => i + 1))
  assert.equal((await ignored.closed)?.code, 'aborted')
  await client.close()
})

test('messages({ batch: true }) yields arrays: every message once, in order, a step per chunk read at most', { timeout: 30_000 }, async () => {
  const { client, start } = await recordedClient(recording(5_000, 100), 64)
  const inbox = client.messages({ batch: true })
  start()
  const ids: number[] = []
  let steps = 0
  for await (const batch of inbox) {
    steps++
    assert.ok(batch.length > 0)
    for (const m of batch) ids.push(m.id)
    if (ids.length >= 5_000) break
  }
  assert.deepEqual(ids, Array.from({ length: 5_000 }, (_, i) => i + 1))
  assert.ok(steps <= 50, `${steps} steps for 50 chunks`)
  assert.equal(inbox.delivered, 5_000, 'delivered counts messages')
  await client.close()
})

test('a batch iterator applies its filter, and stops the reading when the app stops (the high-water mark counts messages)', { timeout: 30_000 }, async () => {
  const chunks: Uint8Array[] = []
  for (let first = 1; first <= 1_000; first += 10) {
    const frames: Uint8Array[] = []
    for (let id = first; id < first + 10; id++) frames.push(encodeFrame({ ...message(id), room: id % 2 === 0 ? 'even' : 'odd' }))
    chunks.push(Buffer.concat(frames))
  }
  const { client, pulled, start } = await recordedClient(chunks, 20)
  const even = client.messages({ room: 'even', batch: true })
  start()
  const first = await even.next()
  assert.equal(first.done, false)
  assert.ok(first.value!.every(m => m.room === 'even' && m.id % 2 === 0))
  await new Promise(resolve => setTimeout(resolve, 50))
  // Not iterating: reading stops once 20 even messages are held (4 chunks of 5 each).
  const stopped = pulled()
  assert.ok(stopped < 100, `pulled ${stopped} of 100 chunks`)
  assert.ok(even.pending >= 20)
  await new Promise(resolve => setTimeout(resolve, 50))
  assert.equal(pulled(), stopped)
  const ids = first.value!.map(m => m.id)
  for await (const batch of even) {
    for (const m of batch) ids.push(m.id)
    if (ids.length === 500) break
  }
  assert.deepEqual(ids, Array.from({ length: 500 }, (_, i) => 2 * (i + 1)))
  await client.close()
})
