import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { RawClient, withTimeout, WAIT_MS } from './raw-client.js'

/** The compiled CLI, next to this compiled test: dist/test/cli.test.js -> dist/src/bin.js. */
const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))

interface Run {
  child: ChildProcess
  stdout: () => string
  stderr: () => string
  exited: Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

function run (args: string[]): Run {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const exited = new Promise<{ code: number | null, signal: NodeJS.Signals | null }>(resolve => {
    child.once('exit', (code, signal) => { resolve({ code, signal }) })
  })
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

/** Resolves with the first match of `pattern` in the child's stderr. */
async function stderrMatch (proc: Run, pattern: RegExp): Promise<RegExpMatchArray> {
  const found = new Promise<RegExpMatchArray>((resolve, reject) => {
    const check = (): void => {
      const match = proc.stderr().match(pattern)
      if (match !== null) {
        proc.child.stderr!.off('data', check)
        resolve(match)
      }
    }
    proc.child.stderr!.on('data', check)
    void proc.exited.then(({ code }) => { reject(new Error(`exited with ${code} before printing ${pattern}: ${proc.stderr()}`)) })
    check()
  })
  return await withTimeout(found, `for ${pattern} on stderr`, WAIT_MS, () => proc.stderr())
}

describe('chat-server CLI', () => {
  it('listens on --port 0, serves clients, and exits 0 on SIGTERM after saying bye', async () => {
    const proc = run(['--port', '0', '--host', '127.0.0.1'])
    let client: RawClient | undefined
    try {
      const [, host, port] = await stderrMatch(proc, /listening on ([^\s]+):(\d+)/)
      assert.equal(host, '127.0.0.1')
      client = await RawClient.connect(Number(port), 'alice')
      const welcome = await client.login('alice')
      assert.equal(welcome.heartbeatIntervalMs, 10_000)
      await client.join('general')
      const ack = await client.request({ type: 'send', room: 'general', text: 'hello from a test' })
      assert.equal(ack.type, 'ack')

      proc.child.kill('SIGTERM')
      const bye = await client.nextOfType('bye')
      assert.equal(bye.code, 'server_shutdown')
      await client.waitClosed()
      const { code, signal } = await withTimeout(proc.exited, 'the server to exit', 10_000, () => proc.stderr())
      assert.deepEqual({ code, signal }, { code: 0, signal: null })
      assert.match(proc.stderr(), /SIGTERM received/)
    } finally {
      client?.destroy()
      proc.child.kill('SIGKILL')
    }
  })

  it('passes its flags to the server', async () => {
    const proc = run(['--port', '0', '--heartbeat-interval-ms', '1500', '--heartbeat-timeout-ms', '4500', '--max-frame-bytes', '20000', '--max-text-bytes', '300'])
    let client: RawClient | undefined
    try {
      const [, , port] = await stderrMatch(proc, /listening on ([^\s]+):(\d+)/)
      client = await RawClient.connect(Number(port), 'alice')
      const welcome = await client.login('alice')
      assert.deepEqual(
        [welcome.heartbeatIntervalMs, welcome.heartbeatTimeoutMs, welcome.maxFrameBytes, welcome.maxTextBytes],
        [1500, 4500, 20000, 300])
      proc.child.kill('SIGINT')
      const { code } = await withTimeout(proc.exited, 'the server to exit', 10_000, () => proc.stderr())
      assert.equal(code, 0)
    } finally {
      client?.destroy()
      proc.child.kill('SIGKILL')
    }
  })

  it('exits with code 2 and the usage on a port that is not a number', async () => {
    const proc = run(['--port', 'abc'])
    try {
      const { code } = await withTimeout(proc.exited, 'the CLI to exit', 10_000)
      assert.equal(code, 2)
      assert.match(proc.stderr(), /--port needs a whole number, got "abc"/)
      assert.match(proc.stderr(), /Usage: chat-server/)
    } finally {
      proc.child.kill('SIGKILL')
    }
  })

  it('exits with code 2 and the usage on an unknown flag, without a stack trace', async () => {
    const proc = run(['--bogus'])
    try {
      const { code } = await withTimeout(proc.exited, 'the CLI to exit', 10_000)
      assert.equal(code, 2, proc.stderr())
      assert.match(proc.stderr(), /--bogus/)
      assert.match(proc.stderr(), /Usage: chat-server/)
      assert.doesNotMatch(proc.stderr(), /\n\s+at /, 'no stack trace')
    } finally {
      proc.child.kill('SIGKILL')
    }
  })

  it('prints the usage on --help and exits 0', async () => {
    const proc = run(['--help'])
    try {
      const { code } = await withTimeout(proc.exited, 'the CLI to exit', 10_000)
      assert.equal(code, 0)
      assert.match(proc.stdout(), /Usage: chat-server/)
      assert.match(proc.stdout(), /--max-queued-bytes/)
    } finally {
      proc.child.kill('SIGKILL')
    }
  })

  it('exits with code 1 when the options are refused by the server', async () => {
    const proc = run(['--port', '0', '--heartbeat-interval-ms', '5000', '--heartbeat-timeout-ms', '1000'])
    try {
      const { code } = await withTimeout(proc.exited, 'the CLI to exit', 10_000)
      assert.equal(code, 1)
      assert.match(proc.stderr(), /heartbeatTimeoutMs must be longer than heartbeatIntervalMs/)
    } finally {
      proc.child.kill('SIGKILL')
    }
  })
})
