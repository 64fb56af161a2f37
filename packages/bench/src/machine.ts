import { availableParallelism, cpus, totalmem } from 'node:os'

/** What a reader needs to compare runs: the machine and the software. */
export function machineDescription (): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  return `${availableParallelism()} CPUs (${cpu}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${process.platform} ${process.arch}`
}
