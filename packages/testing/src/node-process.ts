import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { within, WAIT_MS } from './wait.js'

export interface ExitStatus { code: number | null, signal: NodeJS.Signals | null }

export interface NodeProcessOptions {
  /** Added to this process's environment. */
  env?: Record<string, string>
  cwd?: string
  /** The program to run instead of this Node (`node` then is not put before `args`): an installed bin, which execs Node itself. */
  command?: string
}

/**
 * A Node.js child process (`node ...args`) whose output is kept, so a test
 * can wait for a line on it, send it signals by its pid and see how it
 * exited. Start it with `Harness.node`, which kills it after the test.
 */
export class NodeProcess {
  readonly child: ChildProcessWithoutNullStreams
  readonly pid: number
  readonly exited: Promise<ExitStatus>
  private out = ''
  private err = ''

  constructor (readonly args: string[], options: NodeProcessOptions = {}) {
    this.child = spawn(options.command ?? process.execPath, args, { env: { ...process.env, ...options.env }, cwd: options.cwd, stdio: 'pipe' })
    if (this.child.pid === undefined) throw new Error(`could not start node ${args.join(' ')}`)
    this.pid = this.child.pid
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => { this.out += chunk })
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => { this.err += chunk })
    this.child.stdin.on('error', () => {}) // writing to a process that exited is the test's concern, not a crash
    this.exited = new Promise(resolve => { this.child.once('exit', (code, signal) => { resolve({ code, signal }) }) })
  }

  get stdout (): string {
    return this.out
  }

  get stderr (): string {
    return this.err
  }

  get isRunning (): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Writes to its standard input. */
  write (text: string): void {
    this.child.stdin.write(text)
  }

  /**
   * Waits until its output (`stderr` unless told) contains `pattern`, seen
   * from the start; fails if the process exits first or it takes too long.
   */
  async waitFor (pattern: RegExp | string, what: string, options: { stream?: 'stdout' | 'stderr', ms?: number } = {}): Promise<RegExpMatchArray> {
    const stream = options.stream ?? 'stderr'
    const regexp = typeof pattern === 'string' ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : pattern
    const output = (): string => stream === 'stdout' ? this.out : this.err
    const source = stream === 'stdout' ? this.child.stdout : this.child.stderr
    let check: (() => void) | undefined
    const found = new Promise<RegExpMatchArray>((resolve, reject) => {
      check = (): void => {
        const match = output().match(regexp)
        if (match !== null) resolve(match)
      }
      source.on('data', check)
      void this.exited.then(({ code, signal }) => {
        // The last chunk of output may come after the exit: give it its turn first.
        setImmediate(() => {
          check!()
          reject(new Error(`node ${this.args[0]} (pid ${this.pid}) exited (${code ?? signal}) before ${what}; ${stream}:\n${output()}`))
        })
      })
      check()
    })
    try {
      return await within(found, what, options.ms ?? WAIT_MS, () => `${stream} so far: ${JSON.stringify(output().slice(-500))}`)
    } finally {
      source.off('data', check!)
    }
  }

  /** Waits for it to exit. */
  async waitExit (what = `node ${this.args[0]} (pid ${this.pid}) to exit`, ms = WAIT_MS): Promise<ExitStatus> {
    return await within(this.exited, what, ms, () => `stderr: ${JSON.stringify(this.err.slice(-500))}`)
  }

  /** Sends a signal, by pid, if it still runs. */
  signal (signal: NodeJS.Signals): void {
    if (this.isRunning) process.kill(this.pid, signal)
  }

  /** SIGKILL (a crash), by pid, and waits for the exit. */
  async kill (): Promise<void> {
    this.signal('SIGKILL')
    await this.waitExit(`pid ${this.pid} to die`)
  }
}

/** A server process that said `listening on host:port` on stderr. */
export class ServerProcess extends NodeProcess {
  host = ''
  port = 0

  get url (): string {
    return `tcp://${this.host}:${this.port}`
  }
}
