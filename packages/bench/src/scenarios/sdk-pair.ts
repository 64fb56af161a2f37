import type { LoadTarget, TargetKind } from '../load/target.js'
import { ratio } from '../report.js'
import type { ScenarioReport } from '../report.js'
import { chatSdkTarget } from '../targets/chat-sdk-target.js'
import { sqliteTarget } from '../targets/cluster-target.js'
import type { Driver } from '../targets/cluster-target.js'
import { checkedNotes, checkedValid, loadAndCheck } from '../targets/stored-check.js'
import type { Checked } from '../targets/stored-check.js'
import { medianRatio, medianRound, roundOf, roundsByRow, takingTurns, thousands } from './rounds.js'
import { missingRow, runTargets } from './run-targets.js'

export interface SdkPairOptions {
  window: number
  warmupMs: number
  measureMs: number
  drainMs: number
  /** Times the four rows take turns (issue 15's target is the SDK row's rate): each row is its median round. */
  rounds: number
}

/** The rows' names, for the goals. */
export const PAIR_ROWS = {
  unkeyed: 'protocol adapter, unkeyed',
  keyed: 'protocol adapter, keyed',
  sdk: 'SDK both ends',
  sdkMemory: 'SDK both ends, memory store'
} as const

/**
 * What an app gets: one publisher and one subscriber in one room, both
 * `@chat/client` (`client.send`, an idempotency key each, the promise
 * resolving is the ack; `for await` over `messages()`), on the server as its
 * CLI runs by default (SQLite, durability full); against our protocol
 * adapter on both ends, unkeyed and keyed (keys made as the SDK makes them),
 * on the same store, and the SDK on the in-memory store. The SQLite rows'
 * messages are read back and checked.
 */
export async function sdkPairScenario (o: SdkPairOptions, log: (line: string) => void): Promise<ScenarioReport> {
  const rows: Array<{ kind: TargetKind<LoadTarget>, driver: Driver }> = [
    { kind: sqliteTarget(PAIR_ROWS.unkeyed, 'chat'), driver: 'chat' },
    { kind: sqliteTarget(PAIR_ROWS.keyed, 'chat keyed'), driver: 'chat keyed' },
    { kind: sqliteTarget(PAIR_ROWS.sdk, 'chat-sdk'), driver: 'chat-sdk' },
    { kind: chatSdkTarget(PAIR_ROWS.sdkMemory), driver: 'chat-sdk' }
  ]
  // The rows take turns, `rounds` times.
  const order = takingTurns(rows.length, [...rows.keys()], o.rounds)
  const runs = await runTargets(order.map(i => rows[i].kind), async target => await loadAndCheck(target, {
    subscribers: 1,
    publishers: 1,
    pacing: { window: o.window },
    warmupMs: o.warmupMs,
    measureMs: o.measureMs,
    drainMs: o.drainMs
  }, ['bench'], [[0]]), log)
  const roundsOf = roundsByRow(rows.length, order, runs)
  const rate = (result: Checked): number => result.load.deliveriesPerSecond
  const outcomes = roundsOf.map(rounds => medianRound(rounds, rate))
  const unkeyed = outcomes[0].result?.load
  return {
    scenario: 'sdk-pair',
    title: `SDK to SDK: 1 publisher and 1 subscriber in one room, ${o.window} sends in flight, 64-byte texts, SQLite (durability full) ` +
      `unless said, ${o.measureMs / 1000} s after ${o.warmupMs / 1000} s warm-up`,
    columns: [
      { key: 'target', header: 'target' },
      { key: 'deliveriesPerSecond', header: 'msgs/s' },
      { key: 'xUnkeyed', header: '× unkeyed adapter' },
      { key: 'ackedPerSecond', header: 'sends acked/s' },
      { key: 'lost', header: 'lost' },
      { key: 'outOfOrder', header: 'out of order' },
      { key: 'stored', header: 'stored' },
      { key: 'valid', header: 'valid' },
      { key: 'serverCores', header: 'server CPU' },
      { key: 'serverUsPerMessage', header: 'server µs / msg' },
      { key: 'loadCores', header: 'load gen CPU' },
      { key: 'loadUsPerMessage', header: 'load gen µs / msg' },
      { key: 'readerBusy', header: 'readers busy' },
      { key: 'otherCores', header: 'other CPU' },
      { key: 'notes', header: 'notes' }
    ],
    rows: outcomes.map((x, i) => {
      if (x.result === undefined) return missingRow(x)
      const rounds = roundsOf[i]
      const { load, check } = x.result
      const perMessage = (cores: number): number => Math.round(cores * 1e7 / Math.max(1, load.deliveriesPerSecond)) / 10
      return {
        ...load,
        // Side by side in each round: the median of the rounds' ratios.
        xUnkeyed: i === 0 ? ratio(load.deliveriesPerSecond, unkeyed?.deliveriesPerSecond) : medianRatio(rounds, roundsOf[0], rate),
        stored: check?.stored,
        // Every round's: a lost, reordered or unstored text in any of them.
        valid: rounds.every(round => checkedValid(round.result)),
        serverUsPerMessage: perMessage(load.serverCores),
        loadUsPerMessage: perMessage(load.loadCores),
        notes: rounds.flatMap(round => checkedNotes(round.result)).join('; ')
      }
    }),
    notes: [
      'msgs/s: texts the subscriber received per second (the publisher, a member too, gets them as well, not counted). ' +
      'SDK: @chat/client on both ends (the publisher in the load generator\'s worker thread, the subscriber in its main thread). ' +
      'Protocol adapter: our frames written and read directly; keyed: each send with an idempotency key made as @chat/client makes them. ' +
      '"load gen µs / msg": the load generator\'s CPU (both ends) per text delivered. ' +
      '"stored": the SQLite rows\' messages read back once the server stopped (ids with no gap, every text once, in order): a row is valid only then.',
      ...o.rounds > 1
        ? [`The rows took turns ${o.rounds} times (a server of their own each time); each is its median round, its "× unkeyed adapter" the median ` +
           `of the rounds' ratios. Rounds (msgs/s, ${rows.map(r => r.kind.name).join(' / ')}): ` +
           Array.from({ length: o.rounds }, (_, r) => roundsOf.map(rounds => thousands(rounds[r]?.result?.load.deliveriesPerSecond)).join(' / ')).join('; ') + '.']
        : []
    ],
    // Every run, each row's rounds.
    results: runs.map((x, r) => ({ target: x.target, round: roundOf(order, r), ...x.result?.load, stored: x.result?.check, skipped: x.skipped, error: x.error }))
  }
}
