import { fileURLToPath } from 'node:url'
import { startProcess, waitForOutput } from './child-processes.js'
import type { ManagedProcess } from './child-processes.js'

const SERVER_BIN = fileURLToPath(import.meta.resolve('@chat/server')).replace(/index\.js$/, 'bin.js')

/** The reference server, as an operator runs it (its CLI), in its own process. */
export interface ServerProcess extends ManagedProcess {
  url: string
  port: number
}

/**
 * Node flags every server process gets (ours and the baseline), as `pnpm
 * start` and the `chat-server` bin run it: a young generation of 64 MiB,
 * where a server's short-lived per-message objects die without being copied.
 */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=64']

/**
 * Node flags for the server process: SERVER_NODE_FLAGS and BENCH_SERVER_NODE_ARGS,
 * e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile the server under load.
 */
function serverNodeArgs (): string[] {
  return [...SERVER_NODE_FLAGS, ...(process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(arg => arg !== '')]
}

export async function startServerProcess (args: string[]): Promise<ServerProcess> {
  const proc = startProcess('chat-server', process.execPath, [...serverNodeArgs(), SERVER_BIN, '--port', '0', '--no-http', ...args])
  try {
    const match = await waitForOutput(proc, /listening on ([\d.]+):(\d+)/, 30_000)
    return { ...proc, url: `tcp://${match[1]}:${match[2]}`, port: Number(match[2]) }
  } catch (err) {
    await proc.stop()
    throw err
  }
}
