import type { LoadResult } from '../load/load-generator.js'
import type { LoadTarget, TargetKind } from '../load/target.js'
import { ratio } from '../report.js'
import type { ScenarioReport } from '../report.js'
import { baselineTarget } from '../targets/baseline-target.js'
import { chatTarget } from '../targets/chat-target.js'
import { sqliteTarget } from '../targets/cluster-target.js'
import { checkedNotes, checkedValid, loadAndCheck } from '../targets/stored-check.js'
import { missingRow, runTargets } from './run-targets.js'
import { medianRatio, medianRound, ROUNDS, roundOf, roundsByRow, takingTurns, thousands } from './rounds.js'
import type { Checked } from '../targets/stored-check.js'

export interface IngestOptions {
  publishers: number
  window: number
  warmupMs: number
  measureMs: number
  drainMs: number
}

/** The rows: how the sends are made (unkeyed, keyed, through the SDK), on which store. */
interface IngestRow {
  kind: TargetKind<LoadTarget>
  /** The row of unkeyed sends on the same store, which this one is compared with. */
  unkeyed: number
  /** Many clients instead of the scenario's few: this many publishers, with a window each that keeps the same sends in flight in all. */
  publishers?: number
}

/** Publishers of the many-clients rows (each its own key scope and room, as many apps' users are). */
const MANY = 64


/** The rows' names, for the goals. */
export const INGEST_ROWS = {
  fullUnkeyed: 'chat, sqlite, durability full',
  fullKeyed: 'chat, sqlite, durability full, keyed',
  fullSdk: 'chat, sqlite, durability full, SDK send()'
} as const

/**
 * Durable ingest: acknowledged sends per second, a room per publisher (the
 * figure is about storing, not fan-out), with the server on its SQLite store
 * (fsync per commit, or at checkpoints) and on its in-memory store, which is
 * the reference; the line-relay baseline (which stores nothing) for scale.
 * On SQLite, the sends four ways: unkeyed, keyed (our adapter, each send
 * with an idempotency key made as `@chat/client` makes them, or a random
 * UUID), and through the SDK's own `client.send`. The SQLite rows' messages are read back and
 * checked (every send stored once, in order).
 */
export async function durableIngestScenario (o: IngestOptions, log: (line: string) => void): Promise<ScenarioReport> {
  const rows: IngestRow[] = [
    { kind: chatTarget('chat, memory store', ['--memory']), unkeyed: 0 },
    { kind: sqliteTarget(INGEST_ROWS.fullUnkeyed, 'chat', 'full'), unkeyed: 1 },
    { kind: sqliteTarget(INGEST_ROWS.fullKeyed, 'chat keyed', 'full'), unkeyed: 1 },
    { kind: sqliteTarget(INGEST_ROWS.fullSdk, 'chat-sdk', 'full'), unkeyed: 1 },
    { kind: sqliteTarget('chat, sqlite, durability full, random UUID keys', 'chat uuid keys', 'full'), unkeyed: 1 },
    { kind: sqliteTarget(`chat, sqlite, durability full, ${MANY} publishers`, 'chat', 'full'), unkeyed: 5, publishers: MANY },
    { kind: sqliteTarget(`chat, sqlite, durability full, ${MANY} publishers, keyed`, 'chat keyed', 'full'), unkeyed: 5, publishers: MANY },
    { kind: sqliteTarget(`chat, sqlite, durability full, ${MANY} publishers, random UUID keys`, 'chat uuid keys', 'full'), unkeyed: 5, publishers: MANY },
    { kind: sqliteTarget('chat, sqlite, durability normal', 'chat', 'normal'), unkeyed: 8 },
    { kind: sqliteTarget('chat, sqlite, durability normal, keyed', 'chat keyed', 'normal'), unkeyed: 8 },
    { kind: baselineTarget(), unkeyed: 10 }
  ]
  const rowOf = new Map(rows.map(r => [r.kind.name, r]))
  const paired = [INGEST_ROWS.fullUnkeyed, INGEST_ROWS.fullKeyed].map(name => rows.findIndex(r => r.kind.name === name))
  // In the order they run: the pair's rows take turns, ROUNDS times, then the others.
  const order = [0, ...takingTurns(rows.length, paired, ROUNDS, 1)]
  const runs = await runTargets(order.map(i => rows[i].kind), async target => {
    const publishers = rowOf.get(target.name)?.publishers ?? o.publishers
    const rooms = Array.from({ length: publishers }, (_, i) => `bench-${i}`)
    return await loadAndCheck(target, {
      subscribers: 0,
      publishers,
      roomPerPublisher: true,
      pacing: { window: Math.max(1, Math.round(o.window * o.publishers / publishers)) },
      warmupMs: o.warmupMs,
      measureMs: o.measureMs,
      drainMs: o.drainMs
    }, rooms, rooms.map((_, i) => [i]))
  }, log)
  const roundsOf = roundsByRow(rows.length, order, runs)
  const outcomes = roundsOf.map(rounds => medianRound(rounds, rate))
  const [unkeyedRounds, keyedRounds] = paired.map(i => roundsOf[i])
  const roundsNote = unkeyedRounds.map((unkeyed, r) => `${thousands(unkeyed.result?.load.ackedPerSecond)} / ${thousands(keyedRounds[r]?.result?.load.ackedPerSecond)}`).join('; ')
  const memory: LoadResult | undefined = outcomes[0].result?.load
  const baseline: LoadResult | undefined = outcomes[rows.length - 1].result?.load
  return {
    scenario: 'durable-ingest',
    title: `Durable ingest: ${o.publishers} publishers, a room each, ${o.window} sends in flight each, 64-byte texts, ` +
      `${o.measureMs / 1000} s after ${o.warmupMs / 1000} s warm-up`,
    columns: [
      { key: 'target', header: 'target' },
      { key: 'ackedPerSecond', header: 'acked/s' },
      { key: 'xUnkeyed', header: '× unkeyed (same store)' },
      { key: 'xMemory', header: '× memory store' },
      { key: 'xBaseline', header: '× baseline' },
      { key: 'stored', header: 'stored' },
      { key: 'valid', header: 'valid' },
      { key: 'serverCores', header: 'server CPU' },
      { key: 'serverUsPerAck', header: 'server µs / ack' },
      { key: 'loadCores', header: 'load gen CPU' },
      { key: 'otherCores', header: 'other CPU' },
      { key: 'notes', header: 'notes' }
    ],
    rows: outcomes.map((x, i) => {
      if (x.result === undefined) return missingRow(x)
      const { load, check } = x.result
      const unkeyed = i === rows[i].unkeyed ? undefined : outcomes[rows[i].unkeyed].result?.load
      const rounds = roundsOf[i]
      return {
        ...load,
        xUnkeyed: i === paired[1] ? medianRatio(keyedRounds, unkeyedRounds, rate) : ratio(load.ackedPerSecond, unkeyed?.ackedPerSecond),
        xMemory: ratio(load.ackedPerSecond, memory?.ackedPerSecond),
        xBaseline: ratio(load.ackedPerSecond, baseline?.ackedPerSecond),
        stored: check?.stored,
        // Every round's, for the rows that ran several.
        valid: rounds.every(round => checkedValid(round.result)),
        serverUsPerAck: Math.round(load.serverCores * 1e7 / Math.max(1, load.ackedPerSecond)) / 10,
        notes: rounds.flatMap(round => checkedNotes(round.result)).join('; ')
      }
    }),
    notes: [
      'The baseline stores nothing: its "ack" is its own line echoed back.',
      'keyed: our protocol adapter, each send with an idempotency key made as @chat/client makes them (idempotencyKeys(): the time, a random ' +
      'prefix per connection, a counter); random UUID keys: the same with crypto.randomUUID() (as @chat/client made them before); SDK send(): @chat/client, ' +
      'every text a client.send (its own key; the promise resolving is the ack). "× unkeyed": against the unkeyed row on the same store. ' +
      '"stored": the SQLite rows\' messages read back once the server stopped: ids 1, 2, 3... with no gap, each publisher\'s texts once and in order, ' +
      'as many as it sent: a row is valid only then.',
      `${MANY} publishers: as many clients (each its own key scope and room), ${Math.max(1, Math.round(o.window * o.publishers / MANY))} sends in flight each, ` +
      'the same in all as the other rows; compared with the unkeyed row of as many publishers.',
      `The unkeyed and keyed rows of durability full took turns ${ROUNDS} times (a server of their own each time); each is its median round, ` +
      `and the keyed row's × unkeyed the median of the rounds' ratios. Rounds (unkeyed / keyed acked/s): ${roundsNote}.`
    ],
    // Every run, the pair's rounds each.
    results: runs.map((x, r) => ({ target: x.target, round: roundOf(order, r), ...x.result?.load, stored: x.result?.check, skipped: x.skipped, error: x.error }))
  }
}

const rate = (checked: Checked): number => checked.load.ackedPerSecond
