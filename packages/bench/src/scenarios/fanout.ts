import { runLoad } from '../load/load-generator.js'
import type { LoadResult } from '../load/load-generator.js'
import type { TargetKind } from '../load/target.js'
import { ratio } from '../report.js'
import type { ScenarioReport } from '../report.js'
import { medianRatio, medianRound, roundOf, roundsByRow, takingTurns, thousands } from './rounds.js'
import { missingRow, runTargets } from './run-targets.js'

export interface FanoutOptions {
  subscribers: number
  publishers: number
  window: number
  warmupMs: number
  measureMs: number
  drainMs: number
  /**
   * Times our server over TCP and the baseline take turns (issue 15's targets are their ratios): each is
   * its median round, its ratios the medians of the rounds' ratios. The other rows run once, after them.
   */
  rounds: number
}

/**
 * Fan-out throughput: S subscribers and P publishers in one room, each
 * publisher keeping `window` sends unacknowledged, 64-byte texts. Deliveries
 * per second to the subscribers, each of which must get every text in order.
 */
export async function fanoutScenario (kinds: TargetKind[], o: FanoutOptions, log: (line: string) => void): Promise<ScenarioReport> {
  // Our server over TCP and the baseline take turns, `rounds` times; then the other rows, once each.
  const [chatRow, baselineRow] = ['chat', 'baseline'].map(name => kinds.findIndex(kind => kind.name === name))
  const order = takingTurns(kinds.length, [chatRow, baselineRow].filter(i => i >= 0), o.rounds)
  const runs = await runTargets(order.map(i => kinds[i]), async target => await runLoad(target, {
    subscribers: o.subscribers,
    publishers: o.publishers,
    pacing: { window: o.window },
    warmupMs: o.warmupMs,
    measureMs: o.measureMs,
    drainMs: o.drainMs
  }), log)
  const roundsOf = roundsByRow(kinds.length, order, runs)
  const deliveries = (result: LoadResult): number => result.deliveriesPerSecond
  const outcomes = roundsOf.map(rounds => medianRound(rounds, deliveries))
  const [chatRounds, baselineRounds] = [roundsOf[chatRow] ?? [], roundsOf[baselineRow] ?? []]
  const reference = (name: string): LoadResult | undefined => outcomes.find(x => x.target === name)?.result
  const baseline = reference('baseline')
  const socketio = reference('socket.io')
  // Our server over TCP with the protocol adapter: what the WebSocket, TLS and SDK rows are compared with.
  const chat = reference('chat')
  const cost = (result: LoadResult | undefined): number | undefined => result === undefined ? undefined : serverNsPerDelivery(result, o)
  const nanoseconds = (result: LoadResult | undefined): string => result === undefined ? 'none' : String(Math.round(serverNsPerDelivery(result, o)))
  return {
    scenario: `fanout-s${o.subscribers}-p${o.publishers}`,
    title: `Fan-out: ${o.subscribers} subscribers, ${o.publishers} publisher(s) in one room, ${o.window} sends in flight per publisher, ` +
      `64-byte texts, ${o.measureMs / 1000} s after ${o.warmupMs / 1000} s warm-up`,
    columns: [
      { key: 'target', header: 'target' },
      { key: 'deliveriesPerSecond', header: 'deliveries/s' },
      { key: 'xBaseline', header: '× baseline' },
      { key: 'xSocketio', header: '× socket.io' },
      { key: 'xChat', header: '× chat' },
      { key: 'wireMBps', header: 'wire MB/s' },
      { key: 'payloadMBps', header: 'payload MB/s' },
      { key: 'ackedPerSecond', header: 'sends acked/s' },
      { key: 'lost', header: 'lost' },
      { key: 'outOfOrder', header: 'out of order' },
      { key: 'valid', header: 'valid' },
      { key: 'serverCores', header: 'server CPU' },
      { key: 'serverNsPerDelivery', header: 'server ns / delivery' },
      { key: 'xBaselineServerCost', header: 'server cost × baseline' },
      { key: 'xChatServerCost', header: 'server cost × chat' },
      { key: 'loadCores', header: 'load gen CPU' },
      { key: 'readerBusy', header: 'readers busy' },
      { key: 'otherCores', header: 'other CPU' },
      { key: 'notes', header: 'notes' }
    ],
    rows: outcomes.map((x, i) => {
      if (x.result === undefined) return missingRow(x)
      const isChat = i === chatRow
      const rounds = roundsOf[i]
      return {
        ...x.result,
        // Every round's, for the rows that ran several.
        valid: rounds.every(round => round.result?.valid === true),
        serverNsPerDelivery: Math.round(serverNsPerDelivery(x.result, o)),
        xBaselineServerCost: isChat ? medianRatio(chatRounds, baselineRounds, result => serverNsPerDelivery(result, o)) : ratio(cost(x.result), cost(baseline)),
        xChatServerCost: ratio(cost(x.result), cost(chat)),
        xBaseline: isChat ? medianRatio(chatRounds, baselineRounds, deliveries) : ratio(x.result.deliveriesPerSecond, baseline?.deliveriesPerSecond),
        xSocketio: ratio(x.result.deliveriesPerSecond, socketio?.deliveriesPerSecond),
        xChat: ratio(x.result.deliveriesPerSecond, chat?.deliveriesPerSecond),
        notes: rounds.flatMap(round => round.result?.notes ?? []).join('; ')
      }
    }),
    notes: [
      'deliveries/s: texts received by the subscribers per second (publishers are room members too and get the texts as well, not counted). ' +
      'CPU columns: CPU seconds per second of the window (1.00 = one core busy); "other CPU": other processes, and time the hypervisor took; ' +
      '"readers busy": share of time the load generator\'s subscriber thread was busy. ' +
      '"server ns / delivery": the server\'s CPU time per text delivered (every member\'s copy counted, the publishers\' own too): ' +
      'what the server spends whoever the bottleneck was; "server cost × baseline" below 1 means cheaper than the line relay.',
      '"× chat", "server cost × chat": against our server over TCP in this run. chat-ws: the same frames in binary WebSocket messages to /ws ' +
      '(one message per batch of sends); chat-tls: TLS on the TCP port (a P-256 certificate made for the run); ' +
      'chat-sdk: @chat/client over tcp://, every text a client.send (its own idempotency key; the promise resolving is the ack), ' +
      'read with for await over messages().',
      ...o.rounds > 1 && chatRounds.length > 0 && baselineRounds.length > 0
        ? [`chat and baseline took turns ${o.rounds} times (a server of their own each time); each is its median round, and chat's ` +
           `"× baseline" and "server cost × baseline" the medians of the rounds' ratios. Rounds (chat / baseline deliveries/s, server ns / delivery): ` +
           chatRounds.map((round, r) => `${thousands(round.result?.deliveriesPerSecond)} / ${thousands(baselineRounds[r]?.result?.deliveriesPerSecond)}, ` +
             `${nanoseconds(round.result)} / ${nanoseconds(baselineRounds[r]?.result)}`).join('; ') + '.']
        : []
    ],
    // Every run, chat's and the baseline's rounds each.
    results: runs.map((x, r) => ({ target: x.target, round: roundOf(order, r), ...x.result, skipped: x.skipped, error: x.error }))
  }
}

/** Server CPU nanoseconds per delivered text, counting every member's copy (subscribers and publishers). */
function serverNsPerDelivery (result: LoadResult, o: FanoutOptions): number {
  const membersPerSubscriber = 1 + o.publishers / Math.max(1, o.subscribers)
  return result.serverCores * 1e9 / (result.deliveriesPerSecond * membersPerSubscriber)
}
