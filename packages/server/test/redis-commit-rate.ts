/**
 * Diagnostic, not a test (`node packages/server/dist/test/redis-commit-rate.js [seconds]`):
 * acknowledged messages/s through RedisStore.commit on a local redis-server
 * with `appendfsync always` and `everysec`, batches of 1, 64 and 256 room
 * messages (100-byte texts, each with an idempotency key, as the SDK sends),
 * with 1 commit in flight (a node's group commit) and with 4 (pipelined).
 */
import { Harness, startRedis } from '@chat/testing'
import { createRedisClient, RedisStore, roomStream, waitReady } from '../src/index.js'
import type { CommitWrite } from '../src/index.js'

const seconds = Number(process.argv[2] ?? 3)
const cleanups: Array<() => Promise<void>> = []
const h = new Harness({ after: fn => { cleanups.push(fn) } })
const text = 'x'.repeat(100)
let serial = 0

function batchOf (size: number, keys: boolean): CommitWrite[] {
  return Array.from({ length: size }, () => {
    const n = ++serial
    const write: CommitWrite = { message: { stream: roomStream('bench'), room: 'bench', from: 'alice', text, ts: Date.now() } }
    if (keys) write.idempotency = { scope: 'alice', key: `k${n}` }
    return write
  })
}

async function rate (store: RedisStore, size: number, inFlight: number, keys: boolean): Promise<number> {
  let acked = 0
  const end = performance.now() + seconds * 1_000
  const lane = async (): Promise<void> => {
    while (performance.now() < end) {
      const outcomes = await store.commit(batchOf(size, keys))
      acked += outcomes.length
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: inFlight }, lane))
  return acked / ((performance.now() - started) / 1_000)
}

try {
  console.log('appendfsync | batch | in flight | keys | acknowledged msg/s')
  for (const appendfsync of ['always', 'everysec'] as const) {
    for (const [size, inFlight, keys] of [[1, 1, true], [64, 1, true], [256, 1, true], [1, 4, true], [64, 4, true], [256, 4, true], [64, 1, false], [256, 1, false]] as const) {
      // A fresh server each row: a growing append-only file would be rewritten (a fork) in the middle of later rows.
      const server = await startRedis(h, { appendfsync })
      const store = new RedisStore(createRedisClient(server.url))
      await waitReady(store.redis)
      const perSecond = await rate(store, size, inFlight, keys)
      console.log(`${appendfsync} | ${size} | ${inFlight} | ${keys ? 'yes' : 'no'} | ${Math.round(perSecond).toLocaleString('en-US')}`)
      await store.close()
      await server.kill()
    }
  }
} finally {
  for (const cleanup of cleanups) await cleanup()
}
