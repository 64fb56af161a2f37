import type { LoadResult } from '../load/load-generator.js'
import type { LoadTarget, TargetKind } from '../load/target.js'
import { ratio } from '../report.js'
import type { Cell, ScenarioReport } from '../report.js'
import { chatSdkTarget } from '../targets/chat-sdk-target.js'
import { chatTarget } from '../targets/chat-target.js'
import { clusterTarget, sqliteTarget } from '../targets/cluster-target.js'
import type { ClusterProbe, Driver } from '../targets/cluster-target.js'
import { checkedNotes, checkedValid, loadAndCheck } from '../targets/stored-check.js'
import type { Checked } from '../targets/stored-check.js'
import { targetsTable } from './goals.js'
import { disturbedNote, findRow, numberCell } from './report-cells.js'
import { missingRow, runTargets } from './run-targets.js'
import type { TargetOutcome } from './run-targets.js'

export interface ClusterFanoutOptions {
  subscribers: number
  window: number
  warmupMs: number
  measureMs: number
  drainMs: number
}

export interface ClusterIngestOptions {
  publishers: number
  window: number
  warmupMs: number
  measureMs: number
  drainMs: number
}

/** The target for acknowledged sends through Redis with `appendfsync always`, on this machine. */
export const CLUSTER_INGEST_TARGET = 50_000

/**
 * Commands the cluster's Lua scripts run inside Redis (commit, lease,
 * joins): counted by `total_commands_processed` and `INFO commandstats` like
 * any other, but no round trip. In the measured window nothing else sends
 * them (no logins, joins or history reads happen then).
 */
const INSIDE_SCRIPTS = ['hget', 'hset', 'hdel', 'hmget', 'hlen', 'set', 'xadd', 'xtrim', 'publish', 'time', 'zscore', 'zrangebyscore',
  'zadd', 'zrem', 'zcard', 'zrange', 'sadd', 'srem', 'smembers', 'del', 'incr']
/** The probe's own commands. */
const PROBE = ['info', 'pubsub']

/** What Redis did per message acknowledged in the measured window. */
export interface RedisFigures {
  /** Everything Redis ran (scripts' commands included; the probe's not). */
  commandsPerMessage: number
  /** Commands the nodes sent: EVALSHA (commits, and each node's lease three times per lease period) and any other. */
  roundTripsPerMessage: number
  evalshaPerMessage: number
  /** Messages per EVALSHA: the group commit's batch. */
  messagesPerEvalsha: number
  publishPerMessage: number
  /** Redis's `usec_per_call` of EVALSHA over the window (the script, its commands included; not the fsync). */
  evalshaUsecPerCall: number
  /** The same, per message. */
  scriptUsecPerMessage: number
  /** Nodes subscribed to the fan-out room's channel: each PUBLISH goes to each once. */
  nodesPerPublish: number
}

function redisFigures (result: LoadResult): RedisFigures | undefined {
  const probe = result.probe as { from: ClusterProbe, to: ClusterProbe } | undefined
  if (probe?.from === undefined || probe.to === undefined) return undefined
  const { from, to } = probe
  const messages = result.ackedPerSecond * result.seconds
  const calls = (name: string): number => (to.commands[name]?.calls ?? 0) - (from.commands[name]?.calls ?? 0)
  const usec = (name: string): number => (to.commands[name]?.usec ?? 0) - (from.commands[name]?.usec ?? 0)
  const probeCalls = PROBE.reduce((sum, c) => sum + calls(c), 0)
  const total = to.totalCommands - from.totalCommands - probeCalls
  const inside = INSIDE_SCRIPTS.reduce((sum, c) => sum + calls(c), 0)
  const evalsha = calls('evalsha') + calls('eval')
  const scriptUsec = usec('evalsha') + usec('eval')
  return {
    commandsPerMessage: round(total / messages, 2),
    roundTripsPerMessage: round((total - inside) / messages, 4),
    evalshaPerMessage: round(evalsha / messages, 4),
    messagesPerEvalsha: round(messages / evalsha, 1),
    publishPerMessage: round(calls('publish') / messages, 4),
    evalshaUsecPerCall: round(scriptUsec / evalsha, 1),
    scriptUsecPerMessage: round(scriptUsec / messages, 2),
    nodesPerPublish: to.roomSubscribers
  }
}

/** A row's figures: the load's, the stored check's, the service's CPU split, Redis's per message. */
function row (x: TargetOutcome<Checked>, perMessage: number, extra: (load: LoadResult) => Record<string, Cell>): Record<string, Cell> {
  if (x.result === undefined) return missingRow(x)
  const { load, check } = x.result
  const cores = load.processCores ?? {}
  const redisCores = cores.redis
  const nodeCores = redisCores === undefined ? load.serverCores : round(load.serverCores - redisCores, 2)
  const notes = checkedNotes(x.result)
  return {
    ...load,
    ...redisFigures(load),
    ...extra(load),
    stored: check === undefined ? undefined : check.stored,
    storedOk: check === undefined ? undefined : check.problems.length === 0,
    valid: checkedValid(x.result),
    nodeCores,
    redisCores,
    nodeUsPerMessage: round(nodeCores * 1e6 / perMessage, 2),
    redisUsPerMessage: redisCores === undefined ? undefined : round(redisCores * 1e6 / perMessage, 2),
    notes: notes.join('; ')
  }
}

const CPU_NOTE = 'CPU columns: CPU seconds per second of the window (1.00 = one core busy). "service CPU": every process of the row (nodes and Redis); ' +
  '"nodes CPU", "Redis CPU": its parts; "node µs / msg", "Redis µs / msg": their CPU per message acknowledged. "other CPU": other processes, and time the hypervisor took.'
const REDIS_NOTE = 'Redis columns, over the measured window, per message acknowledged in it (Redis\'s INFO stats and commandstats before and after, ' +
  'the probe\'s own INFO left out): "Redis cmds / msg": every command Redis ran, the scripts\' own XADD, HSET, SET, PUBLISH... included; ' +
  '"round trips / msg": commands the nodes sent (EVALSHA for the commits, and each node\'s lease renewal three times per lease period); ' +
  '"msgs / EVALSHA": the group commit\'s batch; "PUBLISH / msg": one per room per commit; "EVALSHA µs": Redis\'s usec_per_call of the commit script ' +
  '(its commands included; the fsync of appendfsync always is not a command and is not in it); "script µs / msg": the same per message; ' +
  '"nodes per PUBLISH": subscribers of the room\'s channel (one per node with members in it: each commit crosses to each once).'
const STORED_NOTE = '"stored": messages read back from the store after the run (Redis streams; SQLite once its server stopped): ids 1, 2, 3... with no gap, ' +
  'each publisher\'s texts once and in order, as many as it sent (every send acknowledged): a row is valid only then.'

/**
 * Fan-out across a cluster: 100 subscribers and 1 publisher in one room,
 * the subscribers split between two nodes (50/50, the publisher on the
 * first), against one node alone (memory store, as the fan-out rows run it,
 * and SQLite, the CLI's default) and a cluster of one node, in the same run.
 */
export async function clusterFanoutScenario (o: ClusterFanoutOptions, log: (line: string) => void): Promise<ScenarioReport> {
  const rows: Array<{ kind: TargetKind<LoadTarget>, driver: Driver }> = [
    { driver: 'chat', kind: chatTarget('one node, memory store') },
    { driver: 'chat', kind: sqliteTarget('one node, SQLite (full)', 'chat') },
    { driver: 'chat', kind: clusterTarget('cluster: 1 node + Redis (always)', { nodes: 1, appendfsync: 'always', driver: 'chat' }) },
    { driver: 'chat', kind: clusterTarget('cluster: 2 nodes 50/50 + Redis (always)', { nodes: 2, appendfsync: 'always', driver: 'chat' }) },
    // The same two ends through @chat/client: connect, join, send (a key each), for await over messages().
    { driver: 'chat-sdk', kind: chatSdkTarget('one node, memory store, SDK') },
    { driver: 'chat-sdk', kind: clusterTarget('cluster: 2 nodes 50/50 + Redis (always), SDK', { nodes: 2, appendfsync: 'always', driver: 'chat-sdk' }) }
  ]
  const outcomes = await runTargets(rows.map(r => r.kind), async target => await loadAndCheck(target, {
    subscribers: o.subscribers,
    publishers: 1,
    pacing: { window: o.window },
    warmupMs: o.warmupMs,
    measureMs: o.measureMs,
    drainMs: o.drainMs
  }, ['bench'], [[0]]), log)
  // Against the one-node memory row of the same clients (our adapter, or the SDK), and the SQLite row (our adapter).
  const memoryOf = (driver: Driver): LoadResult | undefined => outcomes[rows.findIndex(r => r.driver === driver)].result?.load
  const sqlite = outcomes[1].result?.load
  return {
    scenario: 'cluster-fanout',
    title: `Cluster fan-out: ${o.subscribers} subscribers, 1 publisher in one room (2 nodes: subscribers 50/50, the publisher on the first), ` +
      `${o.window} sends in flight, 64-byte texts, ${o.measureMs / 1000} s after ${o.warmupMs / 1000} s warm-up`,
    columns: [
      { key: 'target', header: 'target' },
      { key: 'deliveriesPerSecond', header: 'deliveries/s' },
      { key: 'xMemory', header: '× one node (memory, same clients)' },
      { key: 'xSqlite', header: '× one node (SQLite)' },
      { key: 'ackedPerSecond', header: 'sends acked/s' },
      { key: 'lost', header: 'lost' },
      { key: 'outOfOrder', header: 'out of order' },
      { key: 'stored', header: 'stored' },
      { key: 'valid', header: 'valid' },
      { key: 'commandsPerMessage', header: 'Redis cmds / msg' },
      { key: 'roundTripsPerMessage', header: 'round trips / msg' },
      { key: 'messagesPerEvalsha', header: 'msgs / EVALSHA' },
      { key: 'publishPerMessage', header: 'PUBLISH / msg' },
      { key: 'nodesPerPublish', header: 'nodes per PUBLISH' },
      { key: 'evalshaUsecPerCall', header: 'EVALSHA µs' },
      { key: 'scriptUsecPerMessage', header: 'script µs / msg' },
      { key: 'serverCores', header: 'service CPU' },
      { key: 'nodeCores', header: 'nodes CPU' },
      { key: 'redisCores', header: 'Redis CPU' },
      { key: 'serverNsPerDelivery', header: 'service ns / delivery' },
      { key: 'loadCores', header: 'load gen CPU' },
      { key: 'readerBusy', header: 'readers busy' },
      { key: 'otherCores', header: 'other CPU' },
      { key: 'notes', header: 'notes' }
    ],
    rows: outcomes.map((x, i) => row(x, x.result?.load.ackedPerSecond ?? 1, load => ({
      xMemory: ratio(load.deliveriesPerSecond, memoryOf(rows[i].driver)?.deliveriesPerSecond),
      xSqlite: rows[i].driver === 'chat' ? ratio(load.deliveriesPerSecond, sqlite?.deliveriesPerSecond) : undefined,
      // Every member's copy counted, the publisher's own too (as the fan-out rows count).
      serverNsPerDelivery: Math.round(load.serverCores * 1e9 / (load.deliveriesPerSecond * (1 + 1 / o.subscribers)))
    }))),
    notes: [
      'deliveries/s: texts received by the subscribers per second. Cluster rows: a redis-server of the row\'s own (appendonly yes, appendfsync always, ' +
      'a fresh directory), chat-server --cluster nodes on it; every process on the same two cores as the load generator. ' +
      'SDK rows: every subscriber and the publisher a @chat/client (send() with its own idempotency key, for await over messages()); ' +
      '"× one node (memory, same clients)" compares them with the one-node SDK row.',
      REDIS_NOTE, CPU_NOTE, STORED_NOTE
    ],
    results: outcomes.map(jsonResult)
  }
}

/** The ingest rows: how the sends are made, on which store. */
interface IngestRow {
  kind: TargetKind<LoadTarget>
  driver: Driver
}

/**
 * Acknowledged sends per second through Redis (`appendfsync always` and
 * `everysec`), against SQLite on one node (durability full), several
 * publishers with a window each, a room each (as the durable-ingest rows):
 * with our adapter's sends unkeyed and keyed, and through the SDK's real
 * calls (`client.send`, its own idempotency key each). Every row's messages
 * are read back from its store and checked.
 */
export async function clusterIngestScenario (o: ClusterIngestOptions, log: (line: string) => void): Promise<ScenarioReport> {
  const drivers: Array<[Driver, string]> = [['chat', 'unkeyed'], ['chat keyed', 'keyed'], ['chat-sdk', 'SDK send()']]
  const rows: IngestRow[] = [
    ...drivers.map(([driver, what]) => ({ driver, kind: sqliteTarget(`one node, SQLite (full), ${what}`, driver) })),
    ...drivers.map(([driver, what]) => ({ driver, kind: clusterTarget(`cluster: 1 node + Redis (always), ${what}`, { nodes: 1, appendfsync: 'always', driver }) })),
    ...drivers.slice(0, 2).map(([driver, what]) => ({ driver, kind: clusterTarget(`cluster: 1 node + Redis (everysec), ${what}`, { nodes: 1, appendfsync: 'everysec', driver }) })),
    { driver: 'chat', kind: clusterTarget('cluster: 2 nodes + Redis (always), unkeyed, publishers 2 + 2', { nodes: 2, appendfsync: 'always', driver: 'chat', publishersOn: 'spread' }) }
  ]
  const rooms = Array.from({ length: o.publishers }, (_, i) => `bench-${i}`)
  const outcomes = await runTargets(rows.map(r => r.kind), async target => await loadAndCheck(target, {
    subscribers: 0,
    publishers: o.publishers,
    roomPerPublisher: true,
    pacing: { window: o.window },
    warmupMs: o.warmupMs,
    measureMs: o.measureMs,
    drainMs: o.drainMs
  }, rooms, rooms.map((_, i) => [i])), log)
  const sqliteOf = (driver: Driver): LoadResult | undefined => outcomes[rows.findIndex(r => r.driver === driver)].result?.load
  return {
    scenario: 'cluster-ingest',
    title: `Cluster ingest: ${o.publishers} publishers, a room each, ${o.window} sends in flight each, 64-byte texts, ` +
      `${o.measureMs / 1000} s after ${o.warmupMs / 1000} s warm-up`,
    columns: [
      { key: 'target', header: 'target' },
      { key: 'ackedPerSecond', header: 'acked/s' },
      { key: 'xSqlite', header: '× SQLite (same sends)' },
      { key: 'stored', header: 'stored' },
      { key: 'valid', header: 'valid' },
      { key: 'roundTripsPerMessage', header: 'round trips / msg' },
      { key: 'commandsPerMessage', header: 'Redis cmds / msg' },
      { key: 'messagesPerEvalsha', header: 'msgs / EVALSHA' },
      { key: 'publishPerMessage', header: 'PUBLISH / msg' },
      { key: 'evalshaUsecPerCall', header: 'EVALSHA µs' },
      { key: 'scriptUsecPerMessage', header: 'script µs / msg' },
      { key: 'serverCores', header: 'service CPU' },
      { key: 'nodeCores', header: 'nodes CPU' },
      { key: 'redisCores', header: 'Redis CPU' },
      { key: 'nodeUsPerMessage', header: 'node µs / msg' },
      { key: 'redisUsPerMessage', header: 'Redis µs / msg' },
      { key: 'loadCores', header: 'load gen CPU' },
      { key: 'otherCores', header: 'other CPU' },
      { key: 'notes', header: 'notes' }
    ],
    rows: outcomes.map((x, i) => row(x, Math.max(1, x.result?.load.ackedPerSecond ?? 1), load => ({
      xSqlite: ratio(load.ackedPerSecond, sqliteOf(rows[i].driver)?.ackedPerSecond)
    }))),
    notes: [
      'unkeyed, keyed: our protocol adapter (a batch of sends in one write; keyed: each send with its own idempotency key, which the commit script ' +
      'checks and stores with SET NX GET); SDK send(): @chat/client, every text a client.send (its own idempotency key; the promise resolving is the ack). ' +
      '"× SQLite": against the SQLite row of the same kind of sends. Cluster rows: a redis-server of the row\'s own (appendonly yes, a fresh directory), ' +
      'chat-server --cluster nodes on it; every process on the same two cores as the load generator.',
      REDIS_NOTE, CPU_NOTE, STORED_NOTE
    ],
    results: outcomes.map(jsonResult)
  }
}

/** Issue 14's figures next to its target (≥ 50,000 acknowledged messages/s with appendfsync always), and the cluster's measured costs. */
export function clusterGoalsReport (reports: ScenarioReport[]): ScenarioReport {
  const find = (scenario: string, target: string): Record<string, Cell> | undefined => findRow(reports, scenario, target)
  const num = numberCell
  const disturbed = disturbedNote
  const rows: Array<Record<string, Cell>> = []
  for (const what of ['unkeyed', 'keyed', 'SDK send()']) {
    const r = find('cluster-ingest', `cluster: 1 node + Redis (always), ${what}`)
    const acked = num(r?.ackedPerSecond)
    rows.push({
      goal: `acknowledged sends/s through Redis, appendfsync always, ${what}`,
      wanted: `≥ ${CLUSTER_INGEST_TARGET.toLocaleString('en-US')}/s`,
      measured: acked === undefined ? 'not measured' : `${acked.toLocaleString('en-US')}/s (${String(r?.xSqlite)}× SQLite${disturbed(r)})`,
      met: acked === undefined ? undefined : acked >= CLUSTER_INGEST_TARGET && r?.valid === true
    })
  }
  const two = find('cluster-fanout', 'cluster: 2 nodes 50/50 + Redis (always)')
  rows.push({
    goal: 'fan-out 100×1 over 2 nodes vs one node',
    wanted: 'measured',
    measured: num(two?.deliveriesPerSecond) === undefined
      ? 'not measured'
      : `${String(two?.xMemory)}× (memory), ${String(two?.xSqlite)}× (SQLite); ${String(two?.roundTripsPerMessage)} round trips, ` +
        `${String(two?.publishPerMessage)} PUBLISH / msg (${String(two?.messagesPerEvalsha)} msgs / EVALSHA)${disturbed(two)}`,
    met: undefined
  })
  const sdk = find('cluster-fanout', 'cluster: 2 nodes 50/50 + Redis (always), SDK')
  rows.push({
    goal: 'fan-out 100×1 over 2 nodes through the SDK vs one node through the SDK',
    wanted: 'measured',
    measured: num(sdk?.deliveriesPerSecond) === undefined ? 'not measured' : `${String(sdk?.xMemory)}× (${num(sdk?.deliveriesPerSecond)!.toLocaleString('en-US')} deliveries/s${disturbed(sdk)})`,
    met: undefined
  })
  return targetsTable('goals-cluster', 'Targets (issue 14): the cluster through Redis, in this run', rows,
    ['A row that was not valid (lost, reordered, unacknowledged or not stored) does not meet its target. 2 cores: Redis, the nodes and the load generator share them.'])
}

/** A row for the JSON line: the load's figures, Redis's per message, the stored check; not the probe's raw counters. */
function jsonResult (x: TargetOutcome<Checked>): Record<string, unknown> {
  const load = x.result?.load
  return {
    target: x.target,
    ...load,
    probe: undefined,
    redis: load === undefined ? undefined : redisFigures(load),
    stored: x.result?.check,
    skipped: x.skipped,
    error: x.error
  }
}

function round (n: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}
