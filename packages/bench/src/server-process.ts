import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const SERVER_BIN = fileURLToPath(import.meta.resolve('@chat/server')).replace(/index\.js$/, 'bin.js')

/** The reference server, as an operator runs it: its own process, so it has a core to itself. */
export interface ServerProcess {
  url: string
  pid: number
  /** CPU seconds (user + system) the process has used so far. */
  cpuSeconds: () => number
  stop: () => Promise<void>
}

export async function startServerProcess (args: string[]): Promise<ServerProcess> {
  const child: ChildProcess = spawn(process.execPath, [SERVER_BIN, '--port', '0', ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
  const url = await new Promise<string>((resolve, reject) => {
    let output = ''
    const timer = setTimeout(() => { reject(new Error(`the server did not start:\n${output}`)) }, 30_000)
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on ([\d.]+):(\d+)/.exec(output)
      if (match !== null) { clearTimeout(timer); resolve(`tcp://${match[1]}:${match[2]}`) }
    })
    child.once('exit', code => { clearTimeout(timer); reject(new Error(`the server exited with ${String(code)}:\n${output}`)) })
  })
  const pid = child.pid!
  return {
    url,
    pid,
    cpuSeconds: () => processCpuSeconds(pid),
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = new Promise(resolve => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }
}

/** utime + stime from /proc (Linux), in seconds. */
export function processCpuSeconds (pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

export function ownCpuSeconds (): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1e6
}
