import { parseArgs } from 'node:util'

export const SCENARIOS = ['fanout', 'latency', 'scale', 'ingest', 'pair', 'cluster', 'sdk'] as const
export type ScenarioName = typeof SCENARIOS[number]

/** Rows besides chat and baseline: our server over WebSocket, TLS and through the SDK; then the peers. */
export const TARGETS = ['chat-ws', 'chat-tls', 'chat-sdk', 'nats-server', 'ngircd', 'socket.io'] as const

export interface BenchOptions {
  quick: boolean
  scenarios: ScenarioName[]
  /** Target names to run (chat and baseline always run: every figure is a ratio to the baseline). */
  targets: string[] | undefined
  window: number
  fanoutSeconds: number
  connections: number
  /** Drive Socket.IO with socket.io-client rather than over its wire protocol. */
  socketioClient: boolean
  out: string | undefined
}

export const USAGE = `Usage: pnpm bench [-- options]      (node packages/bench/dist/src/bench.js [options])

  --quick              a smoke run of a few seconds per scenario: chat and baseline only (or --targets), short windows
  --only <list>        scenarios to run, comma-separated: ${SCENARIOS.join(',')} (default: all)
  --targets <list>     rows to run besides chat and baseline, comma-separated (default: all installed; none for none):
                       chat-ws (our server over WebSocket), chat-tls (over TLS), chat-sdk (through @chat/client),
                       nats-server, ngircd, socket.io
  --window <n>         sends in flight per publisher in the fan-out runs (default 1024)
  --seconds <n>        measured seconds of each fan-out run (default 10; latency runs take half)
  --connections <n>    idle connections in the scale scenario (default 10000)
  --socketio-client    drive Socket.IO with socket.io-client (several µs per event: it, not the
                       server, is then the limit) instead of over its wire protocol with ws
  --out <file>         also write the report (Markdown) to this file
  -h, --help           show this help`

export function parseOptions (argv: string[]): BenchOptions | undefined {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      targets: { type: 'string' },
      window: { type: 'string' },
      seconds: { type: 'string' },
      connections: { type: 'string' },
      'socketio-client': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help === true) return undefined
  const quick = values.quick === true
  const scenarios = values.only === undefined ? [...SCENARIOS] : values.only.split(',').map(s => s.trim())
  for (const s of scenarios) if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}`)
  const targets = values.targets?.split(',').map(s => s.trim()).filter(t => t !== 'none')
  for (const t of targets ?? []) if (!(TARGETS as readonly string[]).includes(t)) throw new Error(`unknown target ${t}`)
  return {
    quick,
    scenarios: scenarios as ScenarioName[],
    targets: targets ?? (quick ? [] : undefined),
    window: positive(values.window ?? '1024', '--window'),
    fanoutSeconds: positive(values.seconds ?? (quick ? '0.5' : '10'), '--seconds'),
    connections: positive(values.connections ?? (quick ? '500' : '10000'), '--connections'),
    socketioClient: values['socketio-client'] === true,
    out: values.out
  }
}

function positive (text: string, name: string): number {
  const n = Number(text)
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${text}`)
  return n
}
