import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Harness } from './harness.js'
import { sleep, within, WAIT_MS } from './wait.js'

/** The compiled CLI: test/dist/support/cli-server.js -> packages/server/dist/src/bin.js. */
export const SERVER_BIN = fileURLToPath(new URL('../../../packages/server/dist/src/bin.js', import.meta.url))

export interface ExitStatus { code: number | null, signal: NodeJS.Signals | null }

/** One run of the real `chat-server` process. */
export class CliServer {
  readonly pid: number
  readonly exited: Promise<ExitStatus>
  port = 0
  private output = ''

  constructor (readonly child: ChildProcess) {
    assert.ok(child.pid !== undefined, 'the chat-server process started')
    this.pid = child.pid
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { this.output += chunk })
    this.exited = new Promise(resolve => { child.once('exit', (code, signal) => { resolve({ code, signal }) }) })
  }

  get url (): string {
    return `tcp://127.0.0.1:${this.port}`
  }

  get stderr (): string {
    return this.output
  }

  get isRunning (): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Waits for `pattern` on stderr; fails if the process exits first or it takes too long. */
  async waitFor (pattern: RegExp, what: string, ms = WAIT_MS): Promise<RegExpMatchArray> {
    const found = new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = (): void => {
        const match = this.output.match(pattern)
        if (match !== null) {
          this.child.stderr!.off('data', check)
          resolve(match)
        }
      }
      this.child.stderr!.on('data', check)
      void this.exited.then(({ code, signal }) => {
        setImmediate(() => {
          check()
          reject(new Error(`chat-server exited (${code ?? signal}) before ${what}; stderr:\n${this.output}`))
        })
      })
      check()
    })
    return await within(found, `${what} (stderr so far: ${JSON.stringify(this.output.slice(-500))})`, ms)
  }

  /** SIGKILL (a crash), by pid, and waits for the exit. */
  async kill (): Promise<void> {
    if (this.isRunning) process.kill(this.pid, 'SIGKILL')
    await within(this.exited, `chat-server pid ${this.pid} to die`)
  }
}

/**
 * Starts the real CLI on a data directory (auth open unless `args` says
 * otherwise) and waits for its "listening on" line. With `port`, it must get
 * that port: a port just freed by a killed server may still be held for a
 * moment, so binding is retried a few times.
 */
export async function startCliServer (h: Harness, dataDir: string, options: { port?: number, args?: string[] } = {}): Promise<CliServer> {
  const attempts = options.port === undefined ? 1 : 20
  for (let attempt = 1; ; attempt++) {
    const child = spawn(process.execPath, [SERVER_BIN, '--port', String(options.port ?? 0), '--data', dataDir, '--auth', 'open', ...options.args ?? []], {
      stdio: ['ignore', 'ignore', 'pipe']
    })
    const server = new CliServer(child)
    // Only this process, by its id, and only if it still runs.
    h.defer(`killing chat-server pid ${server.pid}`, async () => { await server.kill() })
    try {
      const [, host, port] = await server.waitFor(/listening on ([^\s]+):(\d+)/, 'chat-server to listen')
      assert.equal(host, '127.0.0.1')
      server.port = Number(port)
      if (options.port !== undefined) assert.equal(server.port, options.port)
      return server
    } catch (err) {
      await server.kill()
      if (attempt >= attempts || !/EADDRINUSE|address already in use/i.test(server.stderr)) throw err
      await sleep(100 * attempt)
    }
  }
}
