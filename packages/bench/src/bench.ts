/**
 * Runs every benchmark scenario against our server and the line-relay
 * baseline (and the peers that are installed), prints a Markdown table and a
 * JSON line per scenario, and stops every process it started, within a hard
 * time bound.
 *
 *   pnpm bench [--quick] [--only fanout,latency,scale,ingest,pair,cluster,sdk] ...   (--help)
 */
import { writeFileSync } from 'node:fs'
import { killAllStarted } from './child-processes.js'
import type { TargetKind } from './load/target.js'
import { machineDescription } from './machine.js'
import { machinePace, paceNote, paceTimeline } from './machine-pace.js'
import { parseOptions, USAGE } from './options.js'
import type { BenchOptions, ScenarioName } from './options.js'
import { openFileLimit } from './proc-stats.js'
import { jsonLine, markdown } from './report.js'
import type { ScenarioReport } from './report.js'
import { clusterFanoutScenario, clusterGoalsReport, clusterIngestScenario } from './scenarios/cluster.js'
import { connectionScaleScenario } from './scenarios/connection-scale.js'
import { durableIngestScenario } from './scenarios/durable-ingest.js'
import { fanoutScenario } from './scenarios/fanout.js'
import { ROUNDS } from './scenarios/rounds.js'
import { goalsReport } from './scenarios/goals.js'
import { keyedGoalsReport } from './scenarios/keyed-goals.js'
import { latencyScenario } from './scenarios/latency.js'
import { fanoutGoalsReport } from './scenarios/fanout-goals.js'
import { sdkPairScenario } from './scenarios/sdk-pair.js'
import { sdkConsumeInProcess } from './sdk-consume-process.js'
import { transportGoalsReport } from './scenarios/transport-goals.js'
import { baselineTarget } from './targets/baseline-target.js'
import { chatSdkTarget } from './targets/chat-sdk-target.js'
import { chatTarget } from './targets/chat-target.js'
import { chatTlsTarget } from './targets/chat-tls-target.js'
import { chatWsTarget } from './targets/chat-ws-target.js'
import { ircTarget } from './targets/irc-target.js'
import { natsTarget } from './targets/nats-target.js'
import { socketioTarget } from './targets/socketio-target.js'

/** Whatever happens, the run ends by then, and takes its processes with it. */
const FULL_BOUND_MS = 16 * 60_000
const QUICK_BOUND_MS = 2 * 60_000

function log (line: string): void {
  console.error(line)
}

/** The targets of each scenario: chat and baseline always, then those chosen (--targets; default all). */
interface ScenarioTargets {
  /** Fan-out S=100/P=1. */
  fanoutWide: TargetKind[]
  /** Fan-out S=10/P=10. */
  fanoutBusy: TargetKind[]
  latency: TargetKind[]
  scale: TargetKind[]
}

function targetKinds (options: BenchOptions): ScenarioTargets {
  const chosen = (kinds: TargetKind[]): TargetKind[] => options.targets === undefined ? kinds : kinds.filter(k => options.targets!.includes(k.name))
  // Our server over WebSocket and TLS, and through the SDK: rows of the fan-out (and, for WebSocket, scale) scenarios.
  const variants = chosen([chatWsTarget(), chatTlsTarget(), chatSdkTarget()])
  const peers = chosen([natsTarget(), ircTarget(), socketioTarget(options.socketioClient)])
  const always = [chatTarget(), baselineTarget()]
  return {
    fanoutWide: [...always, ...variants, ...peers],
    // TLS and the SDK once (S=100/P=1) rather than twice: each row costs ~15 s of a run kept to about 5 minutes.
    fanoutBusy: [...always, ...variants.filter(k => k.name === 'chat-ws'), ...peers],
    // Our server's /metrics read around the window: its commits, event-loop delay and GC beside the latencies.
    latency: [chatTarget('chat', ['--memory'], { metrics: true }), baselineTarget(), ...peers],
    // Idle connections that log in and join: ours over TCP and WebSocket, the baseline's, and Socket.IO's (the other WebSocket server).
    scale: [...always, ...variants.filter(k => k.name === 'chat-ws'), ...peers.filter(k => k.name === 'socket.io')]
  }
}

async function run (options: BenchOptions): Promise<ScenarioReport[]> {
  const kinds = targetKinds(options)
  const quick = options.quick
  const fanoutMs = options.fanoutSeconds * 1000
  const reports: ScenarioReport[] = []
  const add = (report: ScenarioReport): void => {
    reports.push(report)
    console.log(`\n${markdown(report)}\n`)
    console.log(jsonLine(report, new Date().toISOString()))
  }
  // The machine's pace between scenarios (one's after is the next one's before), in each scenario's report.
  let pace: number | undefined
  const addPaced = async (scenario: () => Promise<ScenarioReport>): Promise<void> => {
    const before = pace ?? await machinePace()
    const report = await scenario()
    pace = await machinePace()
    report.pace = { before, after: pace }
    report.notes.push(paceNote(report.pace))
    add(report)
  }
  if (options.scenarios.includes('fanout')) {
    for (const [subscribers, publishers, targets] of [[100, 1, kinds.fanoutWide], [10, 10, kinds.fanoutBusy]] as const) {
      log(`fan-out S=${subscribers} P=${publishers}`)
      await addPaced(async () => await fanoutScenario(targets, {
        subscribers,
        publishers,
        window: options.window,
        warmupMs: quick ? 300 : 2000,
        measureMs: fanoutMs,
        drainMs: quick ? 1000 : 3000,
        rounds: quick ? 1 : ROUNDS
      }, log))
    }
  }
  if (options.scenarios.includes('latency')) {
    for (const ratePerSecond of [1000, 5000]) {
      log(`latency at ${ratePerSecond}/s`)
      await addPaced(async () => await latencyScenario(kinds.latency, {
        subscribers: 100,
        ratePerSecond,
        warmupMs: quick ? 300 : 1000,
        measureMs: fanoutMs / 2,
        drainMs: quick ? 1000 : 3000
      }, log))
    }
  }
  if (options.scenarios.includes('ingest')) {
    log('durable ingest')
    await addPaced(async () => await durableIngestScenario({
      publishers: 4,
      window: 64,
      warmupMs: quick ? 200 : 1000,
      measureMs: quick ? 500 : 5000,
      drainMs: quick ? 1000 : 3000
    }, log))
  }
  if (options.scenarios.includes('pair')) {
    log('SDK to SDK, 1 x 1')
    await addPaced(async () => await sdkPairScenario({
      window: options.window,
      warmupMs: quick ? 200 : 1000,
      measureMs: quick ? 500 : 5000,
      drainMs: quick ? 1000 : 3000,
      rounds: quick ? 1 : ROUNDS
    }, log))
  }
  if (options.scenarios.includes('cluster')) {
    log('cluster fan-out (Redis)')
    await addPaced(async () => await clusterFanoutScenario({
      subscribers: 100,
      window: options.window,
      warmupMs: quick ? 300 : 2000,
      measureMs: fanoutMs,
      drainMs: quick ? 1000 : 3000
    }, log))
    log('cluster ingest (Redis)')
    await addPaced(async () => await clusterIngestScenario({
      publishers: 4,
      window: 64,
      warmupMs: quick ? 200 : 1000,
      measureMs: quick ? 500 : 5000,
      drainMs: quick ? 1000 : 3000
    }, log))
  }
  if (options.scenarios.includes('sdk')) {
    log('SDK consumption')
    // In a process of its own: this one's heap, grown by the scenarios before, would slow its collector.
    await addPaced(async () => await sdkConsumeInProcess(quick ? 100_000 : 1_000_000))
  }
  // Last: it leaves thousands of sockets in TIME_WAIT behind.
  if (options.scenarios.includes('scale')) {
    // Each connection is a descriptor in the load generator and another in the server (both inherit our limit).
    const limit = openFileLimit()
    const connections = Math.min(options.connections, limit - 200)
    const limitNote = connections < options.connections
      ? `Only ${connections} connections: the open-file limit is ${limit} (raise it with ulimit -n; pnpm bench tries to).`
      : undefined
    log(`connection scale, ${connections} connections`)
    await addPaced(async () => await connectionScaleScenario(kinds.scale, { connections, connectBudgetMs: quick ? 10_000 : 45_000, limitNote }, log))
  }
  add(transportGoalsReport(reports))
  if (options.scenarios.includes('ingest') || options.scenarios.includes('pair')) add(keyedGoalsReport(reports))
  if (['fanout', 'latency', 'scale'].some(s => options.scenarios.includes(s as ScenarioName))) add(fanoutGoalsReport(reports))
  if (options.scenarios.includes('cluster')) add(clusterGoalsReport(reports))
  // Last: it also lists the rows other work disturbed, and the machine's pace through the run.
  const last = goalsReport(reports)
  const timeline = paceTimeline(reports)
  if (timeline !== undefined) last.notes.push(timeline)
  add(last)
  return reports
}

let options: BenchOptions | undefined
try {
  options = parseOptions(process.argv.slice(2))
} catch (err) {
  console.error(`bench: ${(err as Error).message}\n\n${USAGE}`)
  process.exit(2)
}
if (options === undefined) {
  console.log(USAGE)
  process.exit(0)
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAllStarted()
    process.exit(130)
  })
}
const bound = options.quick ? QUICK_BOUND_MS : FULL_BOUND_MS
const watchdog = setTimeout(() => {
  console.error(`bench: still running after ${bound / 1000} s: stopping everything`)
  killAllStarted()
  process.exit(1)
}, bound)
watchdog.unref()

const started = new Date()
log(`bench ${options.quick ? '(quick) ' : ''}${started.toISOString()} on ${machineDescription()}`)
try {
  const reports = await run(options)
  const seconds = Math.round((Date.now() - started.getTime()) / 1000)
  log(`done in ${seconds} s`)
  if (options.out !== undefined) {
    const header = `Run ${started.toISOString()} (${seconds} s${options.quick ? ', --quick' : ''}) on ${machineDescription()}.`
    writeFileSync(options.out, [header, ...reports.map(markdown)].join('\n\n') + '\n')
  }
} catch (err) {
  console.error(`bench: ${(err as Error).stack ?? String(err)}`)
  process.exitCode = 1
} finally {
  killAllStarted()
  clearTimeout(watchdog)
}
// Sockets of a failed run may still be open: don't wait for them.
process.exit()
