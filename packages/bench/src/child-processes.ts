import { spawn } from 'node:child_process'
import type { ChildProcess, SpawnOptions } from 'node:child_process'
import { connect } from 'node:net'
import { processCpuSeconds, processRssBytes } from './proc-stats.js'

/** A server under test, in its own process, so it has a core to itself. */
export interface ManagedProcess {
  name: string
  pid: number
  /** CPU seconds (user + system) the process has used so far. */
  cpuSeconds: () => number
  rssBytes: () => number
  /** Output so far (stdout and stderr), for error messages. */
  output: () => string
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop: (graceMs?: number) => Promise<void>
}

/** Every process we started and has not exited yet, by PID: stopped on exit, whatever happens. */
const running = new Map<number, ChildProcess>()

export function startProcess (name: string, command: string, args: string[], options: SpawnOptions = {}): ManagedProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options })
  if (child.pid === undefined) throw new Error(`${name}: could not start ${command}`)
  const pid = child.pid
  running.set(pid, child)
  let output = ''
  const keep = (chunk: Buffer): void => { if (output.length < 64_000) output += chunk.toString() }
  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  const exited = new Promise<void>(resolve => {
    child.once('exit', () => { running.delete(pid); resolve() })
  })
  return {
    name,
    pid,
    cpuSeconds: () => processCpuSeconds(pid),
    rssBytes: () => processRssBytes(pid),
    output: () => output,
    stop: async (graceMs = 3000) => {
      if (child.exitCode !== null || child.signalCode !== null) return
      process.kill(pid, 'SIGTERM')
      const timer = setTimeout(() => { if (running.has(pid)) process.kill(pid, 'SIGKILL') }, graceMs)
      await exited
      clearTimeout(timer)
    }
  }
}

/** Resolves with the first match of `pattern` in the process's output. */
export async function waitForOutput (proc: ManagedProcess, pattern: RegExp, timeoutMs = 15_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const match = pattern.exec(proc.output())
    if (match !== null) return match
    if (!running.has(proc.pid)) throw new Error(`${proc.name} exited:\n${proc.output()}`)
    await sleep(20)
  }
  throw new Error(`${proc.name} did not print ${String(pattern)} within ${timeoutMs} ms:\n${proc.output()}`)
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort (proc: ManagedProcess, port: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!running.has(proc.pid)) throw new Error(`${proc.name} exited:\n${proc.output()}`)
    const open = await new Promise<boolean>(resolve => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => { socket.destroy(); resolve(true) })
      socket.once('error', () => { resolve(false) })
    })
    if (open) return
    await sleep(30)
  }
  throw new Error(`${proc.name} did not listen on ${port} within ${timeoutMs} ms:\n${proc.output()}`)
}

/** Synchronous cleanups (temporary directories) for an exit that can't wait for `finally` blocks. */
const cleanups = new Set<() => void>()

/** Registers a cleanup for `killAllStarted`; returns a function that runs it now and unregisters it. */
export function onEmergencyExit (cleanup: () => void): () => void {
  cleanups.add(cleanup)
  return () => {
    if (cleanups.delete(cleanup)) cleanup()
  }
}

/** Kills (SIGKILL) every process still running and runs the cleanups: for exits on errors, signals and the time bound. */
export function killAllStarted (): void {
  for (const pid of running.keys()) {
    try { process.kill(pid, 'SIGKILL') } catch {}
  }
  running.clear()
  for (const cleanup of cleanups) {
    try { cleanup() } catch {}
  }
  cleanups.clear()
}

export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}
