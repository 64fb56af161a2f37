import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { connect as tcpConnect, createServer } from 'node:net'
import { Redis } from 'ioredis'
import type { Harness } from './harness.js'
import { sleep, WAIT_MS } from './wait.js'

export interface RedisServerOptions {
  /** With persistence: how often the append-only file is synced. Default `always`. */
  appendfsync?: 'always' | 'everysec' | 'no'
  /** `--appendonly yes` (kept across `stop()`/`start()`). Default true. */
  persistence?: boolean
}

/** A redis-server started for one test, stopped (by pid) after it. */
export interface RedisServer {
  url: string
  port: number
  /** Of the running process (the last one started). */
  readonly pid: number
  /** Its data directory (the append-only files). */
  dir: string
  /** SIGTERM (Redis syncs and exits) and waits for the exit. */
  stop: () => Promise<void>
  /** SIGKILL (a crash) and waits for the exit. */
  kill: () => Promise<void>
  /** Starts it again, same port and directory, and waits until it answers PING. */
  start: () => Promise<void>
  /** A plain ioredis client to it (default options), closed after the test. */
  client: () => Redis
}

export const REDIS_SERVER = process.env.REDIS_SERVER ?? 'redis-server'
const MISSING = `${REDIS_SERVER} not found: the Redis tests need Redis 7 (Debian: apt-get install redis-server; .ci/run installs it)`

/** A port free now in 20000-32000: below the ephemeral range (32768-60999), where fixed ports collide with outgoing connections. */
async function freePort (): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000)
    const free = await new Promise<boolean>(resolve => {
      const server = createServer()
      server.once('error', () => { resolve(false) })
      server.listen(port, '127.0.0.1', () => { server.close(() => { resolve(true) }) })
    })
    if (free) return port
  }
  throw new Error('no free port found in 20000-32000')
}

/** True once the server answers PING with PONG (not LOADING). */
async function pong (port: number): Promise<boolean> {
  return await new Promise(resolve => {
    const socket = tcpConnect(port, '127.0.0.1')
    let reply = ''
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok) }
    socket.setTimeout(1_000, () => { done(false) })
    socket.once('error', () => { done(false) })
    socket.once('connect', () => { socket.write('PING\r\n') })
    socket.on('data', chunk => { reply += chunk.toString(); if (reply.includes('\r\n')) done(reply.startsWith('+PONG')) })
  })
}

class Process {
  readonly child: ChildProcess
  output = ''
  readonly exited: Promise<void>
  failed: Error | undefined

  constructor (args: string[]) {
    this.child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { this.output += chunk })
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { this.output += chunk })
    this.exited = new Promise(resolve => {
      this.child.once('error', err => {
        this.failed = (err as NodeJS.ErrnoException).code === 'ENOENT' ? new Error(MISSING) : err
        resolve()
      })
      this.child.once('exit', () => { resolve() })
    })
  }

  get running (): boolean {
    return this.failed === undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  async signal (signal: NodeJS.Signals): Promise<void> {
    if (this.running && this.child.pid !== undefined) process.kill(this.child.pid, signal)
    await this.exited
  }
}

/**
 * Starts `redis-server` on a free port below 32768, bound to 127.0.0.1, its
 * data in a temporary directory of the harness, no RDB snapshots, and (by
 * default) the append-only file synced as `appendfsync` says. Resolves once
 * it answers PING; the harness kills it after the test. Fails with a clear
 * message if redis-server is not installed.
 */
export async function startRedis (h: Harness, options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = h.tempDir('chat-redis-')
  const persistence = options.persistence ?? true
  let port = await freePort()
  let current: Process | undefined
  const args = (): string[] => [
    '--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '',
    ...(persistence ? ['--appendonly', 'yes', '--appendfsync', options.appendfsync ?? 'always'] : ['--appendonly', 'no'])
  ]
  const launch = async (): Promise<void> => {
    const started = new Process(args())
    current = started
    const deadline = Date.now() + WAIT_MS
    while (!await pong(port)) {
      if (!started.running) {
        await started.exited
        throw started.failed ?? new Error(`redis-server on port ${port} exited: ${started.output.slice(-1_000)}`)
      }
      if (Date.now() > deadline) {
        await started.signal('SIGKILL')
        throw new Error(`redis-server on port ${port} did not answer PING within ${WAIT_MS} ms: ${started.output.slice(-1_000)}`)
      }
      await sleep(10)
    }
  }
  h.defer('stopping redis-server', async () => { await current?.signal('SIGKILL') })
  // Another process may take the port between the check and the start: try another one.
  for (let attempt = 1; ; attempt++) {
    try {
      await launch()
      break
    } catch (err) {
      if (attempt >= 5 || !/Address already in use/i.test(current?.output ?? '')) throw err
      port = await freePort()
    }
  }
  const url = `redis://127.0.0.1:${port}`
  return {
    url,
    port,
    dir,
    get pid () { return current!.child.pid! },
    stop: async () => { await current!.signal('SIGTERM') },
    kill: async () => { await current!.signal('SIGKILL') },
    start: async () => {
      if (current!.running) throw new Error(`redis-server (pid ${current!.child.pid}) is running`)
      // The port was just freed by our own server: binding again may need a moment.
      for (let attempt = 1; ; attempt++) {
        try {
          await launch()
          return
        } catch (err) {
          if (attempt >= 20 || !/Address already in use/i.test(current?.output ?? '')) throw err
          await sleep(100 * attempt)
        }
      }
    },
    client: () => {
      const client = new Redis(url)
      client.on('error', () => {})
      h.defer('closing a Redis client', () => { client.disconnect() })
      return client
    }
  }
}
