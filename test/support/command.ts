import { spawn } from 'node:child_process'

export interface RunOptions {
  cwd: string
  env?: NodeJS.ProcessEnv
  /** Killed (SIGKILL) after this long: installs that compile a native module take a minute or more. */
  timeoutMs?: number
}

export interface RunResult { stdout: string, stderr: string, code: number | null }

/** Runs a program to its end and returns its output, whatever its exit code. */
export async function run (command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, options.timeoutMs ?? 300_000)
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject)
      child.once('close', code => { resolve(code) })
    })
    return { stdout, stderr, code }
  } finally {
    clearTimeout(timer)
  }
}

/** Runs a program that must succeed; its output is in the error if it does not. */
export async function runOk (command: string, args: string[], options: RunOptions): Promise<RunResult> {
  const result = await run(command, args, options)
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} (in ${options.cwd}) exited with ${result.code}\nstdout: ${result.stdout.slice(-3000)}\nstderr: ${result.stderr.slice(-3000)}`)
  }
  return result
}

/**
 * This process's environment without what a package manager running the
 * tests put in it (`npm_config_*`, `npm_package_*`, ...), which would steer
 * an install elsewhere; `npm_config_nodedir` stays (where this machine's
 * Node headers are, for native builds).
 */
export function cleanEnv (extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue
    if (/^npm_/i.test(key) && key.toLowerCase() !== 'npm_config_nodedir') continue
    if (key === 'NODE_TEST_CONTEXT' || key === 'NODE_OPTIONS' || key === 'INIT_CWD' || key.startsWith('PNPM_')) continue
    env[key] = value
  }
  return { ...env, ...extra }
}
