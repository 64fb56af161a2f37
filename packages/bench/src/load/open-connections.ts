import { openConnection } from '../targets/open-connection.js'
import type { ConnectionSpec, Endpoint, LoadConnection, Receiver } from './target.js'

export interface OpenOptions {
  /** Logins in flight at once (a burst of thousands of SYNs overflows the listen backlog). Default 64. */
  concurrency?: number
  /** Bound on one connection's login and join. Default 15 s. */
  timeoutMs?: number
  /** Stop opening new connections at this time (ms since epoch). */
  deadline?: number
  /** Carry on past failed connections (and report them) instead of giving up at the first. */
  keepGoing?: boolean
}

export interface Opened {
  connections: LoadConnection[]
  /** Index in `specs` of each connection. */
  indices: number[]
  errors: string[]
}

/** Opens connections, at most `concurrency` at a time; throws at the first failure unless `keepGoing`. */
/** What to open: `endpoint`, if given, instead of the common one. */
export interface OpenSpec {
  spec: ConnectionSpec
  receiver: Receiver
  endpoint?: Endpoint
}

export async function openConnections (endpoint: Endpoint, specs: OpenSpec[], options: OpenOptions = {}): Promise<LoadConnection[]> {
  const { connections, errors } = await openMany(endpoint, specs, options)
  if (errors.length > 0 && options.keepGoing !== true) {
    for (const c of connections) c.close()
    throw new Error(errors[0])
  }
  return connections
}

export async function openMany (endpoint: Endpoint, specs: OpenSpec[], options: OpenOptions = {}): Promise<Opened> {
  const concurrency = options.concurrency ?? 64
  const timeoutMs = options.timeoutMs ?? 15_000
  const opened: Array<LoadConnection | undefined> = new Array(specs.length)
  const errors: string[] = []
  let next = 0
  const goOn = (): boolean => next < specs.length &&
    (errors.length === 0 || options.keepGoing === true) &&
    (options.deadline === undefined || Date.now() < options.deadline)
  async function worker (): Promise<void> {
    while (goOn()) {
      const i = next++
      const { spec, receiver } = specs[i]
      const to = specs[i].endpoint ?? endpoint
      try {
        opened[i] = await withTimeout(openConnection(to, spec, receiver), timeoutMs, `${to.protocol}: ${spec.name} not in ${spec.room} after ${timeoutMs} ms`)
      } catch (err) {
        errors.push((err as Error).message)
      }
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, specs.length) }, worker))
  const indices = opened.flatMap((c, i) => c === undefined ? [] : [i])
  return { connections: indices.map(i => opened[i]!), indices, errors }
}

async function withTimeout<T> (promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(message)) }, ms) })])
  } finally {
    clearTimeout(timer)
  }
}
