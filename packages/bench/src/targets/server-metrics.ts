import { request } from 'node:http'

/** How often the server's event-loop delay histogram samples (its `eventLoopMonitoringPrecision`). */
const LOOP_DELAY_RESOLUTION_MS = 10

/** One scrape of our server's `/metrics`: every sample by its name and labels, as written (`name{label="x"}`). */
export type MetricSamples = Record<string, number>

/** Reads `/metrics` on the server's HTTP port. (Each scrape also restarts the server's event-loop delay histogram.) */
export async function scrapeMetrics (port: number): Promise<MetricSamples> {
  const text = await new Promise<string>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/metrics' }, res => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { body += chunk })
      res.on('end', () => { resolve(body) })
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
  const samples: MetricSamples = {}
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const space = line.lastIndexOf(' ')
    samples[line.slice(0, space)] = Number(line.slice(space + 1))
  }
  return samples
}

/** What the server did in a measured window: its group commits, its event loop's delays, its garbage collection. */
export interface ServerWindow {
  commits: number
  /** Messages per commit: mean, and the upper bounds of the buckets holding the median and the 99th percentile. */
  messagesPerCommit: number
  commitP50: number | undefined
  commitP99: number | undefined
  /** Event-loop delay over the window, ms: how much later than its 10 ms a timer of perf_hooks.monitorEventLoopDelay fired (its histogram records the whole interval). */
  loopDelayP50Ms: number | undefined
  loopDelayP99Ms: number | undefined
  loopDelayMaxMs: number | undefined
  /** Garbage collection: pauses of the young generation, of the whole heap (and incremental marking steps), ms in all, and how many. */
  minorGcMs: number
  minorGcs: number
  majorGcMs: number
  majorGcs: number
  /** Upper bound of the bucket holding the longest pause, ms. */
  longestGcMs: number | undefined
}

function delta (from: MetricSamples, to: MetricSamples, name: string): number {
  return (to[name] ?? 0) - (from[name] ?? 0)
}

/** The bucket bounds of a histogram (`le` labels), ascending, with the window's cumulative counts; of the series with `label` (`kind="minor"`) if given. */
function buckets (from: MetricSamples, to: MetricSamples, name: string, label = ''): Array<[number, number]> {
  const prefix = `${name}_bucket{`
  const result: Array<[number, number]> = []
  for (const key of Object.keys(to)) {
    if (!key.startsWith(prefix) || !key.includes(label)) continue
    const bound = /le="([^"]+)"/.exec(key)?.[1]
    if (bound === undefined || bound === '+Inf') continue
    result.push([Number(bound), delta(from, to, key)])
  }
  return result.sort((a, b) => a[0] - b[0])
}

/** The upper bound of the bucket where the cumulative count reaches `share` of `count` (undefined past the last bound). */
function quantileBound (cumulative: Array<[number, number]>, count: number, share: number): number | undefined {
  if (count === 0) return undefined
  return cumulative.find(([, n]) => n >= share * count)?.[0]
}

export function serverWindow (from: MetricSamples, to: MetricSamples): ServerWindow {
  const commits = delta(from, to, 'chat_commit_messages_count')
  const sizes = buckets(from, to, 'chat_commit_messages')
  const gc = (kind: string): { ms: number, n: number } => ({
    ms: delta(from, to, `nodejs_gc_duration_seconds_sum{kind="${kind}"}`) * 1000,
    n: delta(from, to, `nodejs_gc_duration_seconds_count{kind="${kind}"}`)
  })
  const minor = gc('minor')
  const major = gc('major')
  const incremental = gc('incremental')
  // The longest pause: the smallest bound under which every pause of the window falls.
  let longestGcMs: number | undefined
  for (const kind of ['minor', 'major', 'incremental']) {
    const label = `kind="${kind}"`
    const count = delta(from, to, `nodejs_gc_duration_seconds_count{${label}}`)
    const bound = quantileBound(buckets(from, to, 'nodejs_gc_duration_seconds', label), count, 1)
    if (count > 0) longestGcMs = Math.max(longestGcMs ?? 0, bound === undefined ? Infinity : bound * 1000)
  }
  const ms = (name: string): number | undefined => to[name] === undefined ? undefined : Math.max(0, to[name] * 1000 - LOOP_DELAY_RESOLUTION_MS)
  return {
    commits,
    messagesPerCommit: commits === 0 ? 0 : delta(from, to, 'chat_commit_messages_sum') / commits,
    commitP50: quantileBound(sizes, commits, 0.5),
    commitP99: quantileBound(sizes, commits, 0.99),
    loopDelayP50Ms: ms('nodejs_eventloop_lag_p50_seconds'),
    loopDelayP99Ms: ms('nodejs_eventloop_lag_p99_seconds'),
    loopDelayMaxMs: ms('nodejs_eventloop_lag_max_seconds'),
    minorGcMs: minor.ms,
    minorGcs: minor.n,
    majorGcMs: major.ms + incremental.ms,
    majorGcs: major.n,
    longestGcMs
  }
}
