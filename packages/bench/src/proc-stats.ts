import { readFileSync } from 'node:fs'

/** utime + stime of a process from /proc (Linux), in seconds. */
export function processCpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name may hold spaces; the fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Resident set size (VmRSS) of a process, in bytes. */
export function processRssBytes (pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  if (match === null) throw new Error(`no VmRSS for process ${pid}`)
  return Number(match[1]) * 1024
}

/** CPU seconds (user + system) this process has used so far. */
export function ownCpuSeconds (): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1e6
}

/** This process's soft limit on open files (children inherit it). */
export function openFileLimit (): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'))
  if (match === null || match[1] === 'unlimited') return Number.MAX_SAFE_INTEGER
  return Number(match[1])
}

/**
 * CPU seconds the whole machine has spent busy (user, nice, system, irq,
 * softirq) or had taken by the hypervisor (steal) since boot, from /proc/stat:
 * what's busy beyond the server and the load generator is other work, and
 * makes a run noisy.
 */
export function machineBusySeconds (): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const [user, nice, system, , , irq, softirq, steal] = fields
  return (user + nice + system + irq + softirq + (steal ?? 0)) / 100
}
