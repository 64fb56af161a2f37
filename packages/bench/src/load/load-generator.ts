import { performance } from 'node:perf_hooks'
import type { EventLoopUtilization } from 'node:perf_hooks'
import { sleep } from '../child-processes.js'
import { machineBusySeconds, ownCpuSeconds } from '../proc-stats.js'
import { nowMicros } from './clock.js'
import { LatencyHistogram } from './latency-histogram.js'
import { TEXT_BYTES } from './message-text.js'
import { openConnections } from './open-connections.js'
import { PublisherPool } from './publisher-pool.js'
import { Subscriber } from './subscriber.js'
import type { Endpoint, LoadConnection, LoadTarget } from './target.js'

export interface LoadPlan {
  subscribers: number
  publishers: number
  /** As fast as acks allow, with this many sends in flight per publisher; or a fixed total rate. */
  pacing: { window: number } | { ratePerSecond: number }
  /** A room per publisher (use with no subscribers): ingest without fan-out. Default: one room for all. */
  roomPerPublisher?: boolean
  warmupMs: number
  measureMs: number
  /** Bound on the wait for the last acks, and then for the last deliveries, once sending stops. */
  drainMs: number
  latency?: boolean
}

export interface LatencySummary {
  samples: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  p999Ms: number
  maxMs: number
}

export interface LoadResult {
  target: string
  /** False if anything was lost, out of order, unacknowledged, refused or dropped. */
  valid: boolean
  notes: string[]
  /** Length of the measured window. */
  seconds: number
  /** Texts published over the whole run (warm-up and drain included), and acknowledged. */
  sent: number
  acked: number
  /** Texts publisher i sent over the whole run (its room's are numbered 0 to sentBy[i] - 1). */
  sentBy: number[]
  /** In the measured window: */
  ackedPerSecond: number
  deliveriesPerSecond: number
  /** Bytes the subscribers read, per second, in MB (10^6), framing and headers included. */
  wireMBps: number
  /** Texts delivered times their 64 bytes, per second, in MB. */
  payloadMBps: number
  /**
   * Over the whole run, all subscribers, after the drain: texts a subscriber
   * never got (a gap, or still missing when the drain ended) and texts that
   * came after a later one of the same publisher.
   */
  lost: number
  outOfOrder: number
  latency?: LatencySummary
  /** CPU seconds per second of the measured window (1 = one core busy): the server, the load generator, and everything else on the machine. */
  serverCores: number
  /** With a target of several processes (`LoadTarget.helpers`): each one's share of `serverCores`, by process name. */
  processCores?: Record<string, number>
  /** The target's `probe`, read at the start and the end of the measured window. */
  probe?: { from: unknown, to: unknown }
  loadCores: number
  otherCores: number
  /** Share of the window the subscribers' thread was busy: near 1, the load generator's readers were the limit. */
  readerBusy: number
}

const ROOM = 'bench'
/**
 * Texts all publishers together may be ahead of the slowest subscriber (each
 * gets its share, and at least its window): about 1 MiB of our frames, under
 * every server's outbound limit.
 */
const MAX_AHEAD = 8192

/**
 * Runs one load against a started target: subscribers in this thread,
 * publishers in a worker thread; then checks that every subscriber got every
 * text of every publisher, in order.
 */
export async function runLoad (target: LoadTarget, plan: LoadPlan): Promise<LoadResult> {
  const histogram = plan.latency === true ? new LatencyHistogram() : undefined
  const timing = { fromMicros: Number.POSITIVE_INFINITY }
  const subscribers = Array.from({ length: plan.subscribers }, () => new Subscriber(plan.publishers, histogram, timing))
  let connections: LoadConnection[] = []
  let pool: PublisherPool | undefined
  const notes: string[] = []
  // The slowest subscriber's progress per publisher, for the publishers' thread to pace itself by.
  const delivered = new SharedArrayBuffer(8 * plan.publishers)
  const deliveredView = new Float64Array(delivered)
  const progress = setInterval(() => {
    for (let p = 0; p < plan.publishers; p++) {
      let min = Number.POSITIVE_INFINITY
      for (const s of subscribers) if (s.next[p] < min) min = s.next[p]
      deliveredView[p] = min === Number.POSITIVE_INFINITY ? Number.MAX_SAFE_INTEGER : min
    }
  }, 1)
  try {
    const at = (endpoints: Endpoint[] | undefined, i: number): Endpoint | undefined => endpoints?.[i % endpoints.length]
    connections = await openConnections(target.endpoint, subscribers.map((receiver, i) => ({
      spec: { name: `s${i}`, room: ROOM },
      receiver,
      endpoint: at(target.subscriberEndpoints, i)
    })))
    pool = await PublisherPool.start({
      endpoint: target.endpoint,
      endpoints: target.publisherEndpoints === undefined ? undefined : Array.from({ length: plan.publishers }, (_, i) => at(target.publisherEndpoints, i)!),
      publishers: plan.publishers,
      window: 'window' in plan.pacing ? plan.pacing.window : 0,
      ratePerSecond: 'ratePerSecond' in plan.pacing ? plan.pacing.ratePerSecond : 0,
      rooms: Array.from({ length: plan.publishers }, (_, i) => plan.roomPerPublisher === true ? `${ROOM}-${i}` : ROOM),
      delivered,
      maxAhead: Math.max('window' in plan.pacing ? plan.pacing.window : 0, Math.floor(MAX_AHEAD / plan.publishers))
    })

    pool.start()
    await sleep(plan.warmupMs)
    const [fromCounts, probeFrom] = await Promise.all([pool.counts(), target.probe?.()])
    const from = snapshot(target, subscribers, fromCounts.acked)
    timing.fromMicros = nowMicros()
    await sleep(plan.measureMs)
    const [toCounts, probeTo] = await Promise.all([pool.counts(), target.probe?.()])
    const to = snapshot(target, subscribers, toCounts.acked)

    // Drain: the last acks, then the last deliveries.
    const final = await pool.stop(plan.drainMs)
    const sent = final.sent
    const drainUntil = Date.now() + plan.drainMs
    while (Date.now() < drainUntil && !subscribers.every(s => s.hasAll(sent) || s.failure !== undefined)) await sleep(10)

    const seconds = (to.micros - from.micros) / 1e6
    const deliveries = to.received - from.received
    const totalSent = sent.reduce((a, b) => a + b, 0)
    const lost = subscribers.reduce((sum, s) => sum + s.lost(sent), 0)
    const outOfOrder = subscribers.reduce((sum, s) => sum + s.outOfOrder, 0)
    const unacked = totalSent - final.acked
    const failures = [...subscribers.map(s => s.failure).filter((f): f is string => f !== undefined), ...final.failures]
    notes.push(...final.notes)
    if (failures.length > 0) notes.push(`${failures.length} connection(s) failed, first: ${failures[0]}`)
    if (unacked > 0) notes.push(`${unacked} send(s) unacknowledged ${plan.drainMs} ms after the end`)
    if (lost > 0) notes.push(`${lost} deliveries missing (gaps, or still undelivered ${plan.drainMs} ms after the end)`)
    if (outOfOrder > 0) notes.push(`${outOfOrder} deliveries out of order`)
    const serverCores = (to.serverCpu - from.serverCpu) / seconds
    const loadCores = (to.loadCpu - from.loadCpu) / seconds
    return {
      target: target.name,
      valid: failures.length === 0 && unacked === 0 && lost === 0 && outOfOrder === 0,
      notes,
      seconds: round(seconds, 2),
      sent: totalSent,
      acked: final.acked,
      sentBy: sent,
      ackedPerSecond: Math.round((to.acked - from.acked) / seconds),
      deliveriesPerSecond: Math.round(deliveries / seconds),
      wireMBps: round((to.bytes - from.bytes) / seconds / 1e6, 1),
      payloadMBps: round(deliveries * TEXT_BYTES / seconds / 1e6, 1),
      lost,
      outOfOrder,
      latency: histogram === undefined ? undefined : summarize(histogram),
      serverCores: round(serverCores, 2),
      processCores: target.helpers === undefined
        ? undefined
        : Object.fromEntries([target.process, ...target.helpers].map((p, i) => [p.name, round((to.processCpu[i] - from.processCpu[i]) / seconds, 2)])),
      probe: target.probe === undefined ? undefined : { from: probeFrom, to: probeTo },
      loadCores: round(loadCores, 2),
      otherCores: round(Math.max(0, (to.machineBusy - from.machineBusy) / seconds - serverCores - loadCores), 2),
      readerBusy: round(performance.eventLoopUtilization(to.loop, from.loop).utilization, 2)
    }
  } finally {
    clearInterval(progress)
    for (const c of connections) c.close()
    await pool?.close()
  }
}

interface Snapshot {
  micros: number
  received: number
  bytes: number
  acked: number
  serverCpu: number
  /** The target's process, then its helpers. */
  processCpu: number[]
  loadCpu: number
  machineBusy: number
  loop: EventLoopUtilization
}

function snapshot (target: LoadTarget, subscribers: Subscriber[], acked: number): Snapshot {
  const processCpu = [target.process, ...target.helpers ?? []].map(p => p.cpuSeconds())
  return {
    micros: nowMicros(),
    received: subscribers.reduce((sum, s) => sum + s.received, 0),
    bytes: subscribers.reduce((sum, s) => sum + s.bytes, 0),
    acked,
    serverCpu: processCpu.reduce((a, b) => a + b, 0),
    processCpu,
    loadCpu: ownCpuSeconds(),
    machineBusy: machineBusySeconds(),
    loop: performance.eventLoopUtilization()
  }
}

function summarize (h: LatencyHistogram): LatencySummary {
  const ms = (micros: number): number => round(micros / 1000, 2)
  return {
    samples: h.count,
    p50Ms: ms(h.quantile(0.5)),
    p90Ms: ms(h.quantile(0.9)),
    p99Ms: ms(h.quantile(0.99)),
    p999Ms: ms(h.quantile(0.999)),
    maxMs: ms(h.max)
  }
}

export function round (n: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}
