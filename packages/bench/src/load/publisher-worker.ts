/**
 * Publishers, in a worker thread of the load generator: their sends and acks
 * run on their own event loop, so a window is topped up as soon as its acks
 * arrive, not after the subscribers' reads of the same turn (which would make
 * server and load generator take turns instead of working at once), and a
 * fixed rate keeps its beat.
 */
import { parentPort, workerData } from 'node:worker_threads'
import { nowMicros } from './clock.js'
import { openConnections } from './open-connections.js'
import { Publisher } from './publisher.js'
import type { Endpoint } from './target.js'

export interface PublisherWorkerData {
  endpoint: Endpoint
  /** Where publisher i connects, if not `endpoint`. */
  endpoints?: Endpoint[]
  publishers: number
  /** Sends in flight per publisher, or 0 for a fixed rate. */
  window: number
  ratePerSecond: number
  /** Room of publisher i. */
  rooms: string[]
  /** Float64Array over this: how many of publisher i's texts the slowest subscriber has (written by the main thread). */
  delivered: SharedArrayBuffer
  /** How far (in texts) a publisher may run ahead of the slowest subscriber, in window mode. */
  maxAhead: number
}

/** main -> worker */
export type PublisherCommand = { type: 'start' } | { type: 'count' } | { type: 'stop', drainMs: number } | { type: 'close' }

export interface PublisherCounts {
  type: 'counts'
  /** Per publisher: texts sent and acknowledged. */
  sent: number[]
  acked: number
  failures: string[]
  notes: string[]
}

/** worker -> main */
export type PublisherReport = { type: 'ready' } | { type: 'error', message: string } | PublisherCounts

const data = workerData as PublisherWorkerData
const port = parentPort!
const delivered = new Float64Array(data.delivered)
const publishers = Array.from({ length: data.publishers }, (_, i) => new Publisher(i, data.window, delivered, data.maxAhead))
const notes: string[] = []
let ticker: NodeJS.Timeout | undefined

function post (report: PublisherReport): void {
  port.postMessage(report)
}

function counts (): PublisherCounts {
  return {
    type: 'counts',
    sent: publishers.map(p => p.sent),
    acked: publishers.reduce((sum, p) => sum + p.ackCount, 0),
    failures: publishers.map(p => p.failure).filter((f): f is string => f !== undefined),
    notes
  }
}

/** Sends at a fixed total rate, round robin over the publishers, checked every millisecond. */
function startRate (rate: number): void {
  const startedAt = nowMicros()
  const maxInFlight = Math.max(1000, rate * 2)
  let due = 0
  let turn = 0
  ticker = setInterval(() => {
    const target = Math.floor(rate * (nowMicros() - startedAt) / 1e6)
    const batch = new Array<number>(publishers.length).fill(0)
    while (due < target) {
      batch[turn++ % publishers.length]++
      due++
    }
    publishers.forEach((p, i) => {
      if (p.inFlight + batch[i] <= maxInFlight) p.sendNow(batch[i])
      else if (notes.length === 0) notes.push(`rate not held: over ${maxInFlight} sends unacknowledged`)
    })
  }, 1)
}

const connections = await openConnections(data.endpoint, publishers.map((receiver, i) => ({
  spec: { name: `p${i}`, room: data.rooms[i], publisher: i },
  receiver,
  endpoint: data.endpoints?.[i]
}))).catch((err: Error) => { post({ type: 'error', message: err.message }); return undefined })

if (connections !== undefined) {
  connections.forEach((c, i) => { publishers[i].connection = c })
  port.on('message', (command: PublisherCommand) => {
    switch (command.type) {
      case 'start':
        if (data.window > 0) {
          for (const p of publishers) p.startWindow()
          // Acks top the window up; this catches up once held back by slow subscribers.
          ticker = setInterval(() => { for (const p of publishers) p.topUp() }, 1)
        } else {
          startRate(data.ratePerSecond)
        }
        return
      case 'count': post(counts()); return
      case 'stop':
        clearInterval(ticker)
        for (const p of publishers) p.stop()
        void Promise.all(publishers.map(async p => { await p.allAcked(command.drainMs) })).then(() => { post(counts()) })
        return
      case 'close':
        for (const c of connections) c.close()
        port.close()
    }
  })
  post({ type: 'ready' })
}
