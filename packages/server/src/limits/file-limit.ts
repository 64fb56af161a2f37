import { readFileSync } from 'node:fs'

/** File descriptors the server needs beyond its connections: the store, the listeners, Node's own. */
const SPARE_DESCRIPTORS = 64

/**
 * A warning when the process may open fewer files than `maxConnections`
 * needs (Linux: `/proc/self/limits`): past its limit, the kernel refuses
 * connections before the server can say `too_many_connections`, and the
 * store can't open a file. Undefined when it is enough, or unknown.
 */
export function fileLimitWarning (maxConnections: number): string | undefined {
  let limits: string
  try {
    limits = readFileSync('/proc/self/limits', 'utf8')
  } catch {
    return undefined
  }
  const soft = /^Max open files\s+(\d+)/m.exec(limits)?.[1]
  if (soft === undefined || Number(soft) >= maxConnections + SPARE_DESCRIPTORS) return undefined
  return `this process may open ${soft} files, fewer than maxConnections (${maxConnections}) needs: ` +
    `raise it (ulimit -n ${maxConnections + SPARE_DESCRIPTORS}) or lower --max-connections`
}
