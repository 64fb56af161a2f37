/**
 * Durable ingest: acknowledged messages per second (a room per publisher), with the
 * server on its SQLite store (fsync per commit, and fsync at checkpoints)
 * and, as the baseline of the same run, on its in-memory store.
 *
 *   pnpm bench            (or: node packages/bench/dist/src/durable-ingest.js [seconds])
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '@chat/client'
import type { ChatClient } from '@chat/client'
import { ownCpuSeconds, startServerProcess } from './server-process.js'

const SECONDS = Number(process.argv[2] ?? 5)
const WARMUP_SECONDS = 1
const PUBLISHERS = 4
/** Sends in flight per publisher: enough to keep the server busy, bounded so acks pace the load. */
const WINDOW = 64
const TEXT = 'x'.repeat(64)

interface Result {
  store: string
  acked: number
  ackedPerSecond: number
  serverCpuSeconds: number
  loadCpuSeconds: number
}

/** Each publisher keeps WINDOW sends in flight until `until`; returns acks counted after the warm-up. */
async function publish (client: ChatClient, room: string, countFrom: number, until: number): Promise<number> {
  let acked = 0
  async function lane (): Promise<void> {
    while (Date.now() < until) {
      await client.send(room, TEXT)
      if (Date.now() >= countFrom) acked++
    }
  }
  await Promise.all(Array.from({ length: WINDOW }, lane))
  return acked
}

async function run (store: string, args: string[]): Promise<Result> {
  const server = await startServerProcess(['--auth', 'open', ...args])
  try {
    const clients = await Promise.all(Array.from({ length: PUBLISHERS }, (_, i) => connect(server.url, { username: `pub${i}` })))
    // A room each: the figure is about storing, not about fan-out to the other publishers.
    await Promise.all(clients.map(async (c, i) => await c.join(`bench-${i}`)))
    const start = Date.now()
    const countFrom = start + WARMUP_SECONDS * 1000
    const until = countFrom + SECONDS * 1000
    let serverCpu = 0
    let loadCpu = 0
    const cpuMark = setTimeout(() => { serverCpu = server.cpuSeconds(); loadCpu = ownCpuSeconds() }, countFrom - start)
    const counts = await Promise.all(clients.map(async (c, i) => await publish(c, `bench-${i}`, countFrom, until)))
    clearTimeout(cpuMark)
    const acked = counts.reduce((a, b) => a + b, 0)
    const result = {
      store,
      acked,
      ackedPerSecond: Math.round(acked / SECONDS),
      serverCpuSeconds: round(server.cpuSeconds() - serverCpu),
      loadCpuSeconds: round(ownCpuSeconds() - loadCpu)
    }
    await Promise.all(clients.map(async c => await c.close()))
    return result
  } finally {
    await server.stop()
  }
}

function round (n: number): number {
  return Math.round(n * 100) / 100
}

const dataDir = mkdtempSync(join(tmpdir(), 'chat-bench-'))
try {
  const memory = await run('memory (baseline)', ['--memory'])
  const full = await run('sqlite, durability full', ['--data', join(dataDir, 'full'), '--durability', 'full'])
  const normal = await run('sqlite, durability normal', ['--data', join(dataDir, 'normal'), '--durability', 'normal'])
  const rows = [memory, full, normal].map(r => ({ ...r, ratioToMemory: round(r.ackedPerSecond / memory.ackedPerSecond) }))
  console.log(`durable ingest: ${PUBLISHERS} publishers x ${WINDOW} in flight, 64-byte texts, ${SECONDS} s after ${WARMUP_SECONDS} s warm-up`)
  console.table(rows)
  console.log(JSON.stringify({ scenario: 'durable-ingest', date: new Date().toISOString(), seconds: SECONDS, results: rows }))
} finally {
  rmSync(dataDir, { recursive: true, force: true })
}
