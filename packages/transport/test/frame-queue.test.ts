import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_MAX_WRITE_BYTES, FrameQueue } from '../src/index.js'

function frame (length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length)
  for (let i = 0; i < length; i++) bytes[i] = (seed * 7 + i) & 0xff
  return bytes
}

function concat (parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
  let offset = 0
  for (const part of parts) { out.set(part, offset); offset += part.byteLength }
  return out
}

/** Takes every write until the iterator finishes (the queue must be ended, or this never returns). */
async function drain (queue: FrameQueue): Promise<Uint8Array[]> {
  const writes: Uint8Array[] = []
  for await (const write of queue) writes.push(write)
  return writes
}

/** Settles a promise against a marker once pending microtasks and one macrotask have run. */
async function settled<T> (promise: Promise<T>): Promise<T | 'pending'> {
  return await Promise.race([promise, new Promise<'pending'>(resolve => { setImmediate(() => { resolve('pending') }) })])
}

describe('FrameQueue', () => {
  it('accepts frames up to maxQueuedBytes and refuses the one that would pass it, queuing nothing', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 100 })
    assert.equal(queue.push(frame(60, 1)), true)
    assert.equal(queue.push(frame(40, 2)), true, 'exactly at the bound is accepted')
    assert.equal(queue.bytes, 100)
    assert.equal(queue.push(frame(1, 3)), false)
    assert.equal(queue.bytes, 100, 'a refused frame is not queued')
    queue.end()
    assert.deepEqual(concat(await drain(queue)), concat([frame(60, 1), frame(40, 2)]))
  })

  it('refuses a single frame larger than the bound', () => {
    const queue = new FrameQueue({ maxQueuedBytes: 10 })
    assert.equal(queue.push(frame(11, 1)), false)
    assert.equal(queue.bytes, 0)
  })

  it('accepts frames again once the iterator took some', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 100, maxWriteBytes: 50 })
    assert.equal(queue.push(frame(50, 1)), true)
    assert.equal(queue.push(frame(50, 2)), true)
    assert.equal(queue.push(frame(50, 3)), false)
    const iterator = queue[Symbol.asyncIterator]()
    const first = await iterator.next()
    assert.deepEqual(first.value, frame(50, 1))
    assert.equal(queue.bytes, 50)
    assert.equal(queue.push(frame(50, 3)), true)
    queue.end()
    const rest: Uint8Array[] = []
    for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) rest.push(r.value)
    assert.deepEqual(concat(rest), concat([frame(50, 2), frame(50, 3)]))
  })

  it('coalesces queued frames into writes of at most maxWriteBytes, preserving byte order', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 1 << 20, maxWriteBytes: 4096 })
    const frames = Array.from({ length: 100 }, (_, i) => frame(1000, i))
    for (const f of frames) assert.equal(queue.push(f), true)
    queue.end()
    const writes = await drain(queue)
    for (const write of writes) assert.ok(write.byteLength <= 4096, `a write of ${write.byteLength} bytes`)
    assert.equal(writes.length, 25, 'four 1000-byte frames fit a 4096-byte write')
    assert.deepEqual(concat(writes), concat(frames))
    assert.equal(queue.bytes, 0)
  })

  it('coalesces frames of mixed sizes without ever splitting a frame', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 1 << 20, maxWriteBytes: 100 })
    const sizes = [1, 99, 50, 51, 100, 3, 200, 7, 7, 90, 1]
    const frames = sizes.map((size, i) => frame(size, i))
    for (const f of frames) queue.push(f)
    queue.end()
    const writes = await drain(queue)
    assert.deepEqual(concat(writes), concat(frames))
    // Every write is a run of whole frames: its end is a frame boundary.
    const boundaries = new Set<number>()
    let offset = 0
    for (const size of sizes) { offset += size; boundaries.add(offset) }
    offset = 0
    for (const write of writes) {
      assert.ok(write.byteLength <= 100 || sizes.includes(write.byteLength), `write of ${write.byteLength}`)
      offset += write.byteLength
      assert.ok(boundaries.has(offset), `a write ends at ${offset}, inside a frame`)
    }
  })

  it('hands a lone frame over as is, and a frame larger than maxWriteBytes in a write of its own', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 1 << 20, maxWriteBytes: 100 })
    const small = frame(10, 1)
    const big = frame(500, 2)
    queue.push(big)
    queue.push(small)
    queue.end()
    const writes = await drain(queue)
    assert.equal(writes.length, 2)
    assert.equal(writes[0], big, 'the same bytes, not a copy')
    assert.equal(writes[1], small)
  })

  it('uses 64 KiB writes by default', async () => {
    assert.equal(DEFAULT_MAX_WRITE_BYTES, 65536)
    const queue = new FrameQueue({ maxQueuedBytes: 1 << 20 })
    const frames = Array.from({ length: 64 }, (_, i) => frame(2048, i)) // 128 KiB
    for (const f of frames) queue.push(f)
    queue.end()
    const writes = await drain(queue)
    assert.deepEqual(writes.map(w => w.byteLength), [65536, 65536])
    assert.deepEqual(concat(writes), concat(frames))
  })

  it('keeps order across many small frames taken in many writes (compaction of the taken prefix)', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 1 << 20, maxWriteBytes: 40 })
    const frames: Uint8Array[] = []
    const push = (): void => {
      const f = frame(4, frames.length)
      frames.push(f)
      assert.equal(queue.push(f), true)
    }
    for (let i = 0; i < 3000; i++) push()
    const iterator = queue[Symbol.asyncIterator]()
    const taken: Uint8Array[] = []
    // Take 10 frames per write while pushing 3: the taken prefix passes 1024 frames while frames remain.
    for (let i = 0; i < 500; i++) {
      taken.push((await iterator.next()).value as Uint8Array)
      push(); push(); push()
    }
    queue.end()
    for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) taken.push(r.value)
    assert.deepEqual(concat(taken), concat(frames))
    assert.equal(queue.bytes, 0)
  })

  it('end(last) queues the last frame past the bound, after everything queued', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 100 })
    queue.push(frame(100, 1))
    assert.equal(queue.push(frame(5, 2)), false, 'the queue is full')
    const last = frame(30, 3)
    queue.end(last)
    assert.equal(queue.isEnded, true)
    assert.equal(queue.bytes, 130)
    assert.deepEqual(concat(await drain(queue)), concat([frame(100, 1), last]))
  })

  it('refuses pushes after end, and ignores a second end', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 100 })
    queue.push(frame(1, 1))
    queue.end(frame(1, 2))
    assert.equal(queue.push(frame(1, 3)), false)
    queue.end(frame(1, 4))
    assert.equal(queue.bytes, 2)
    assert.deepEqual(concat(await drain(queue)), concat([frame(1, 1), frame(1, 2)]))
  })

  it('clear() drops what is queued; later frames still go out', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 100 })
    queue.push(frame(50, 1))
    queue.push(frame(50, 2))
    queue.clear()
    assert.equal(queue.bytes, 0)
    assert.equal(queue.push(frame(100, 3)), true, 'the bound applies afresh')
    queue.end(frame(10, 4))
    assert.deepEqual(concat(await drain(queue)), concat([frame(100, 3), frame(10, 4)]))
  })

  it('the iterator waits for a push, and finishes once ended and empty', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 100 })
    const iterator = queue[Symbol.asyncIterator]()
    const next = iterator.next()
    assert.equal(await settled(next), 'pending', 'nothing queued: the iterator waits')
    queue.push(frame(3, 1))
    assert.deepEqual((await next).value, frame(3, 1))
    const after = iterator.next()
    assert.equal(await settled(after), 'pending')
    queue.end()
    assert.equal((await after).done, true)
  })

  it('frames pushed in one synchronous run go out as one write', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 1000 })
    const iterator = queue[Symbol.asyncIterator]()
    const next = iterator.next() // waiting
    for (let i = 0; i < 10; i++) queue.push(frame(10, i))
    const write = (await next).value as Uint8Array
    assert.deepEqual(write, concat(Array.from({ length: 10 }, (_, i) => frame(10, i))))
  })

  it('an ended queue drains what it holds before finishing', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 1000, maxWriteBytes: 10 })
    for (let i = 0; i < 5; i++) queue.push(frame(10, i))
    queue.end()
    const writes = await drain(queue)
    assert.equal(writes.length, 5)
    assert.equal(queue.bytes, 0)
  })

  it('drained() resolves at once when empty, and otherwise once the iterator took everything', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 1000, maxWriteBytes: 10 })
    assert.equal(await settled(queue.drained()), undefined, 'empty: resolved')
    queue.push(frame(10, 1))
    queue.push(frame(10, 2))
    const drained = queue.drained()
    const iterator = queue[Symbol.asyncIterator]()
    await iterator.next()
    assert.equal(await settled(drained), 'pending', 'one frame still queued')
    await iterator.next()
    assert.equal(await settled(drained), undefined)
  })

  it('drained() resolves when the queue is cleared or ended', async () => {
    const queue = new FrameQueue({ maxQueuedBytes: 1000 })
    queue.push(frame(10, 1))
    const beforeClear = queue.drained()
    assert.equal(await settled(beforeClear), 'pending')
    queue.clear()
    assert.equal(await settled(beforeClear), undefined)
    queue.push(frame(10, 2))
    const beforeEnd = queue.drained()
    queue.end()
    await drain(queue)
    assert.equal(await settled(beforeEnd), undefined)
    assert.equal(await settled(queue.drained()), undefined, 'an ended queue never makes anyone wait')
  })
})

describe('FrameQueue in push mode (writer)', () => {
  it('calls the writer once per synchronous run of pushes, which takes coalesced writes in order', async () => {
    const writes: Uint8Array[] = []
    let calls = 0
    const queue: FrameQueue = new FrameQueue({
      maxQueuedBytes: 1 << 20,
      maxWriteBytes: 100,
      wake: 'microtask',
      writer: () => {
        calls++
        while (queue.hasFrames) writes.push(queue.take())
      }
    })
    const frames = Array.from({ length: 10 }, (_, i) => frame(30, i))
    for (const f of frames) assert.equal(queue.push(f), true)
    assert.equal(calls, 0, 'not called during the run')
    await Promise.resolve()
    assert.equal(calls, 1)
    assert.deepEqual(writes.map(w => w.byteLength), [90, 90, 90, 30])
    assert.deepEqual(concat(writes), concat(frames))
    assert.equal(queue.bytes, 0)
    queue.push(frame(5, 99))
    await Promise.resolve()
    assert.equal(calls, 2, 'called again for frames pushed later')
  })

  it('a writer that stops early (its socket is full) leaves the rest queued and bounded', async () => {
    let allowed = 1
    const queue: FrameQueue = new FrameQueue({
      maxQueuedBytes: 100,
      maxWriteBytes: 10,
      wake: 'microtask',
      writer: () => { while (queue.hasFrames && allowed > 0) { allowed--; queue.take() } }
    })
    for (let i = 0; i < 5; i++) queue.push(frame(10, i))
    await Promise.resolve()
    assert.equal(queue.bytes, 40, 'one write taken, four frames waiting')
    for (let i = 0; i < 6; i++) assert.equal(queue.push(frame(10, i)), true)
    assert.equal(queue.push(frame(10, 7)), false, 'past maxQueuedBytes: refused')
  })

  it('end() calls the writer (to close its socket) and releases drained() waiters', async () => {
    let sawEnd = false
    const queue: FrameQueue = new FrameQueue({
      maxQueuedBytes: 100,
      wake: 'microtask',
      writer: () => { if (!queue.hasFrames && queue.isEnded) sawEnd = true }
    })
    queue.push(frame(10, 1))
    const drained = queue.drained()
    queue.end()
    assert.equal(await settled(drained), undefined)
    await Promise.resolve()
    assert.equal(sawEnd, false, 'the frame is still to be taken')
    queue.take()
    assert.equal(queue.hasFrames, false)

    let closedEmpty = false
    const empty: FrameQueue = new FrameQueue({
      maxQueuedBytes: 100,
      wake: 'microtask',
      writer: () => { if (!empty.hasFrames && empty.isEnded) closedEmpty = true }
    })
    empty.end()
    await Promise.resolve()
    assert.equal(closedEmpty, true, 'ending an empty queue tells the writer at once')
  })
})
