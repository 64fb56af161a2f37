import { writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import type { Harness, NodeProcess } from '@chat/testing'
import { sleep } from '@chat/testing'
import { cleanEnv, runOk } from './command.js'

const require = createRequire(import.meta.url)

/** The packages the registry serves itself; everything else it fetches from the upstream registry. */
const OWN_SCOPE = '@chat/*'

/**
 * A real npm registry (Verdaccio) on a free loopback port, with its storage
 * in a temporary directory: our packages are published to it and served from
 * it only (never looked up upstream); third-party ones come from the registry
 * npm is configured with. Stopped after the test.
 */
export class LocalRegistry {
  private constructor (readonly url: string, private readonly userconfig: string, private readonly process: NodeProcess) {}

  static async start (h: Harness, upstream: string): Promise<LocalRegistry> {
    const dir = h.tempDir('chat-registry-')
    const config = join(dir, 'config.yaml')
    writeFileSync(config, [
      `storage: ${join(dir, 'storage')}`,
      'auth:',
      `  htpasswd: { file: ${join(dir, 'htpasswd')} }`,
      'uplinks:',
      // A few failed requests upstream (a timeout, a reset) must not mark it offline for minutes: Verdaccio then
      // answers 404 for every third-party tarball it has not cached yet.
      `  upstream: { url: ${upstream}, timeout: 60s, max_fails: 100, fail_timeout: 1s }`,
      'packages:',
      `  '${OWN_SCOPE}': { access: $all, publish: $all }`,
      "  '**': { access: $all, publish: $all, proxy: upstream }",
      'web: { enable: false }',
      'log: { type: stdout, format: pretty, level: warn }',
      ''
    ].join('\n'))
    const bin = verdaccioBin()
    // A port picked free may be taken before Verdaccio binds it: try another.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort()
      const url = `http://127.0.0.1:${port}/`
      const child = h.node([bin, '--config', config, '--listen', `127.0.0.1:${port}`], { env: cleanEnv() })
      try {
        await child.waitFor(`http address - ${url}`, 'Verdaccio to listen', { stream: 'stdout', ms: 60_000 })
        await ping(url)
        const userconfig = join(dir, 'npmrc')
        writeFileSync(userconfig, `//127.0.0.1:${port}/:_authToken=${await token(url)}\n`)
        return new LocalRegistry(url, userconfig, child)
      } catch (err) {
        await child.kill()
        if (attempt >= 5 || !/EADDRINUSE/.test(child.stdout + child.stderr)) throw err
      }
    }
  }

  /**
   * Publishes a tarball made by `pnpm pack`. That is what `pnpm publish` does
   * in pnpm 10: it packs (turning `workspace:` ranges into versions), then
   * hands the tarball to npm. npm ignores an `--//host/:_authToken=` flag, so
   * the token is in a user config file of our own.
   */
  async publish (tarball: string): Promise<void> {
    await runOk('npm', ['publish', tarball, '--registry', this.url], {
      cwd: dirname(tarball),
      env: cleanEnv({ NPM_CONFIG_USERCONFIG: this.userconfig }),
      timeoutMs: 60_000
    })
  }

  get pid (): number {
    return this.process.pid
  }

  /** What Verdaccio logged (warnings and errors): why it refused a request, for a failed install's message. */
  get log (): string {
    return (this.process.stdout + this.process.stderr).slice(-4000)
  }
}

function verdaccioBin (): string {
  const manifest = require.resolve('verdaccio/package.json')
  const { bin } = require(manifest) as { bin: string | Record<string, string> }
  return join(dirname(manifest), typeof bin === 'string' ? bin : bin.verdaccio)
}

async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise(resolve => server.close(resolve))
  return port
}

/** Resolves once the registry answers its health check. */
async function ping (url: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(new URL('-/ping', url))
      if (response.ok) return
    } catch (err) {
      if (attempt >= 50) throw err
    }
    await sleep(100)
  }
}

/** Creates a user and returns its token (the npm `adduser` exchange). */
async function token (url: string): Promise<string> {
  const response = await fetch(new URL('-/user/org.couchdb.user:release-test', url), {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'release-test', password: 'release-test-password' })
  })
  const body = await response.json() as { token?: string }
  if (!response.ok || typeof body.token !== 'string') throw new Error(`the registry gave no token: ${response.status} ${JSON.stringify(body)}`)
  return body.token
}
