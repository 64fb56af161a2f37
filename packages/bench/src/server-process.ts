import { fileURLToPath } from 'node:url'
import { startProcess, waitForOutput } from './child-processes.js'
import type { ManagedProcess } from './child-processes.js'

/** Our server's CLI: this workspace's build, or another build's `dist/src/bin.js` (BENCH_SERVER_BIN), to compare two versions in the same scenario. */
const SERVER_BIN = process.env.BENCH_SERVER_BIN ?? fileURLToPath(import.meta.resolve('@chat/server')).replace(/index\.js$/, 'bin.js')

/** The reference server, as an operator runs it (its CLI), in its own process. */
export interface ServerProcess extends ManagedProcess {
  url: string
  port: number
  /** The HTTP port with the WebSocket endpoint at /ws, if started with `http`. */
  httpPort?: number
}

export interface ServerProcessOptions {
  /** Also listen on HTTP (a free port the server picks, as for TCP), for WebSocket clients. Default: TCP only. */
  http?: boolean
}

/**
 * Node flags every server process gets (ours, the baseline, Socket.IO), as `pnpm start` and the
 * `chat-server` bin run ours: none, Node's defaults (a 16 MiB young generation; it was 64 MiB until
 * the memory store kept rows rather than objects, BENCHMARKS.md, issue 15).
 */
export const SERVER_NODE_FLAGS: string[] = []

/**
 * Node flags for the server process: SERVER_NODE_FLAGS and BENCH_SERVER_NODE_ARGS,
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the server under load.
 */
function serverNodeArgs (): string[] {
  return [...SERVER_NODE_FLAGS, ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(arg => arg !== '')]
}

export async function startServerProcess (args: string[], options: ServerProcessOptions = {}): Promise<ServerProcess> {
  const http = options.http === true ? ['--http-port', '0'] : ['--no-http']
  const proc = startProcess('chat-server', process.execPath, [...serverNodeArgs(), SERVER_BIN, '--port', '0', ...http, ...args])
  try {
    // The TCP line comes first; the HTTP one right after it, once both listen.
    const match = await waitForOutput(proc, /listening on ([\d.]+):(\d+)/, 30_000)
    const httpPort = options.http === true ? Number((await waitForOutput(proc, /https? listening on [\d.]+:(\d+)/, 5_000))[1]) : undefined
    return { ...proc, url: `tcp://${match[1]}:${match[2]}`, port: Number(match[2]), httpPort }
  } catch (err) {
    await proc.stop()
    throw err
  }
}
