import { sleep } from '../child-processes.js'
import { nowMicros } from '../load/clock.js'
import { round } from '../load/load-generator.js'
import { messageText } from '../load/message-text.js'
import { openMany } from '../load/open-connections.js'
import { Subscriber } from '../load/subscriber.js'
import type { LoadConnection, LoadTarget, Receiver, TargetKind } from '../load/target.js'
import { openConnection } from '../targets/open-connection.js'
import type { ScenarioReport } from '../report.js'
import { missingRow, runTargets } from './run-targets.js'

export interface ScaleOptions {
  connections: number
  /** Bound on connecting them all. */
  connectBudgetMs: number
  /** Why fewer connections than asked, if so (the open-file limit). */
  limitNote?: string
}

export interface ScaleResult {
  target: string
  asked: number
  connected: number
  failed: number
  connectSeconds: number
  connectsPerSecond: number
  /** Until the traffic that joins cause (presence) stopped. */
  settleSeconds: number
  /** Bytes the idle connections received while everyone joined (member lists, presence), in MB. */
  joinTrafficMB: number
  rssBeforeMiB: number
  rssAfterMiB: number
  kibPerConnection: number
  serverCpuSeconds: number
  /** One text from one more connection, until every idle connection had it. */
  oneMessageToAllMs: number | undefined
  reached: number
  notes: string[]
}

const ROOM = 'bench'
const MiB = 1024 * 1024

/**
 * Connection scale: N connections log in and join one room, then stay idle.
 * Server memory (VmRSS) before and after, per connection; the time to connect
 * them all; and one message from one more connection reaching all of them.
 */
export async function connectionScaleScenario (kinds: TargetKind[], o: ScaleOptions, log: (line: string) => void): Promise<ScenarioReport> {
  const outcomes = await runTargets(kinds, async target => await measureScale(target, o, log), log)
  return {
    scenario: 'connection-scale',
    title: `Connection scale: ${o.connections.toLocaleString('en-US')} idle connections logged in to one room`,
    columns: [
      { key: 'target', header: 'target' },
      { key: 'connected', header: 'connected' },
      { key: 'connectSeconds', header: 'connect all (s)' },
      { key: 'connectsPerSecond', header: 'connects/s' },
      { key: 'settleSeconds', header: 'join traffic settled (s)' },
      { key: 'joinTrafficMB', header: 'join traffic to clients (MB)' },
      { key: 'rssBeforeMiB', header: 'RSS before (MiB)' },
      { key: 'rssAfterMiB', header: 'RSS after (MiB)' },
      { key: 'kibPerConnection', header: 'KiB / connection' },
      { key: 'oneMessageToAllMs', header: 'one message to all (ms)' },
      { key: 'serverCpuSeconds', header: 'server CPU (s)' },
      { key: 'notes', header: 'notes' }
    ],
    rows: outcomes.map(x => x.result === undefined ? missingRow(x) : { ...x.result, notes: x.result.notes.join('; ') }),
    notes: [
      'RSS is the server process\'s VmRSS after everyone joined and the join traffic settled, minus before any connection; ' +
      'server CPU covers connecting and settling.',
      ...(o.limitNote !== undefined ? [o.limitNote] : [])
    ],
    results: outcomes.map(x => ({ target: x.target, ...x.result, skipped: x.skipped, error: x.error }))
  }
}

/** Counts bytes, and the one text when it comes. */
class IdleMember extends Subscriber implements Receiver {
  lastByteAt = 0
  override chunkStart (bytes: number): void {
    super.chunkStart(bytes)
    this.lastByteAt = Date.now()
  }
}

async function measureScale (target: LoadTarget, o: ScaleOptions, log: (line: string) => void): Promise<ScaleResult> {
  const notes: string[] = []
  const members = Array.from({ length: o.connections }, () => new IdleMember(1, undefined, { fromMicros: Number.POSITIVE_INFINITY }))
  let connections: LoadConnection[] = []
  let publisher: LoadConnection | undefined
  try {
    await sleep(300)
    const rssBefore = target.process.rssBytes()
    const cpuBefore = target.process.cpuSeconds()
    const started = Date.now()
    const opened = await openMany(target.endpoint, members.map((receiver, i) => ({ spec: { name: `u${i}`, room: ROOM }, receiver })), {
      concurrency: 128,
      timeoutMs: 30_000,
      deadline: started + o.connectBudgetMs,
      keepGoing: true
    })
    connections = opened.connections
    const connectSeconds = (Date.now() - started) / 1000
    if (opened.errors.length > 0) notes.push(`${opened.errors.length} failed, first: ${opened.errors[0]}`)
    if (connections.length + opened.errors.length < o.connections) notes.push(`stopped after ${o.connectBudgetMs / 1000} s`)
    log(`    ${connections.length} connected in ${connectSeconds.toFixed(1)} s`)

    // Joins make traffic (member lists, presence): wait until it stops, within the remaining budget.
    const quietMs = 500
    const settleUntil = Math.max(started + o.connectBudgetMs, Date.now() + 5000)
    while (Date.now() < settleUntil && members.some(m => Date.now() - m.lastByteAt < quietMs)) await sleep(100)
    const settled = members.every(m => Date.now() - m.lastByteAt >= quietMs)
    if (!settled) notes.push('join traffic still flowing at the end of the budget')
    const settleSeconds = (Date.now() - started) / 1000 - connectSeconds
    const rssAfter = target.process.rssBytes()
    const serverCpuSeconds = target.process.cpuSeconds() - cpuBefore
    const joinBytes = members.reduce((sum, m) => sum + m.bytes, 0)

    // One message, from one more connection, to everyone.
    const sender: Receiver = { chunkStart () {}, message () {}, acked () {}, chunkEnd () {}, failed () {} }
    publisher = await openConnection(target.endpoint, { name: 'p0', room: ROOM, publisher: 0 }, sender)
    await sleep(quietMs) // its own join's presence
    const sentAt = nowMicros()
    publisher.send([messageText(0, 0, sentAt)])
    const reachUntil = Date.now() + 15_000
    const live = opened.indices.map(i => members[i]).filter(m => m.failure === undefined)
    while (Date.now() < reachUntil && live.some(m => m.next[0] < 1)) await sleep(1)
    const reached = live.filter(m => m.next[0] >= 1).length
    const oneMessageToAllMs = reached === live.length ? round((nowMicros() - sentAt) / 1000, 1) : undefined
    if (reached < connections.length) notes.push(`the message reached ${reached} of ${connections.length}`)
    const failed = opened.indices.map(i => members[i]).filter(m => m.failure !== undefined)
    if (failed.length > 0) notes.push(`${failed.length} dropped, first: ${failed[0].failure ?? ''}`)
    return {
      target: target.name,
      asked: o.connections,
      connected: connections.length,
      failed: opened.errors.length,
      connectSeconds: round(connectSeconds, 2),
      connectsPerSecond: Math.round(connections.length / connectSeconds),
      settleSeconds: round(settleSeconds, 2),
      joinTrafficMB: round(joinBytes / 1e6, 1),
      rssBeforeMiB: round(rssBefore / MiB, 1),
      rssAfterMiB: round(rssAfter / MiB, 1),
      kibPerConnection: connections.length === 0 ? NaN : round((rssAfter - rssBefore) / connections.length / 1024, 1),
      serverCpuSeconds: round(serverCpuSeconds, 2),
      oneMessageToAllMs,
      reached,
      notes
    }
  } finally {
    publisher?.close()
    // Stop the server first: N disconnects would each be announced to everyone left.
    await target.stop()
    for (const c of connections) c.close()
  }
}
