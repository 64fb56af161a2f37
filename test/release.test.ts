// What a user outside this repository gets: the tarballs a release publishes,
// installed from a real registry into a fresh app, with pnpm and with npm, and
// the README's own install lines and snippet run against the installed server.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { Harness } from '@chat/testing'
import type { ServerProcess } from '@chat/testing'
import { cleanEnv, run, runOk } from './support/command.js'
import type { RunResult } from './support/command.js'
import { LocalRegistry } from './support/local-registry.js'
import { codeBlocks, commands } from './support/readme.js'
import { pack, publicPackages, ROOT } from './support/tarballs.js'
import type { Tarball } from './support/tarballs.js'

const README = join(ROOT, 'README.md')
const INSTALL_MS = 600_000 // npm compiles better-sqlite3 when it can download no prebuilt module: a minute or more
const COMPILED = /\.(?:d\.ts\.map|js\.map|d\.ts|js)$/

// One test at a time: installs running side by side asked Verdaccio for the same uncached tarball at once, and one
// of them was once answered 404 (ws, in CI).
describe('releasing the packages', { concurrency: false, timeout: 900_000 }, () => {
  const h = new Harness({ after }, { cleanupMs: 30_000 })
  const tarballs: Tarball[] = []
  let registry: LocalRegistry

  before(async () => {
    const into = h.tempDir('chat-tarballs-')
    for (const source of publicPackages()) tarballs.push(await pack(source, into))
    registry = await LocalRegistry.start(h, await upstreamRegistry())
    for (const tarball of tarballs) await registry.publish(tarball.file)
  })

  it('publishes protocol, transport, client, server, strings, cli and web, each with what a registry page and an install need', t => {
    assert.deepEqual(tarballs.map(p => p.manifest.name).sort(), ['@chat/cli', '@chat/client', '@chat/protocol', '@chat/server', '@chat/strings', '@chat/transport', '@chat/web'])
    const versions = new Map(tarballs.map(p => [p.manifest.name, p.manifest.version]))
    for (const { manifest, files } of tarballs) {
      const name = manifest.name
      t.diagnostic(`${name}@${manifest.version}`)
      for (const field of ['description', 'license', 'repository', 'keywords', 'engines', 'exports', 'files', 'sideEffects', 'types']) {
        assert.ok(manifest[field] !== undefined, `${name} has "${field}"`)
      }
      for (const [dependency, range] of Object.entries({ ...manifest.dependencies as object, ...manifest.peerDependencies as object })) {
        assert.doesNotMatch(String(range), /^workspace:/, `${name} publishes ${dependency} as a version range`)
        if (versions.has(dependency)) assert.equal(range, `^${versions.get(dependency)}`, `${name} depends on ${dependency} as a caret range`)
      }
      for (const [entry, conditions] of Object.entries(manifest.exports as Record<string, Conditions>)) checkConditions(name, entry, conditions, files)
      for (const target of Object.values(manifest.bin as Record<string, string> ?? {})) {
        const path = target.replace(/^\.\//, '')
        assert.ok(files.includes(path), `${name}'s bin ${target} is in the tarball`)
      }
    }
  })

  it('puts in each tarball its build, the sources its maps point at, the README and the licence: no tests, no build info, no orphans', t => {
    for (const { manifest, files, unpacked, bytes, unpackedBytes } of tarballs) {
      const name = manifest.name
      t.diagnostic(`${name}: ${files.length} files, ${(bytes / 1024).toFixed(1)} KiB packed, ${(unpackedBytes / 1024).toFixed(1)} KiB unpacked`)
      for (const path of files) {
        assert.match(path, /^(?:package\.json|README\.md|LICENSE|PROTOCOL\.md|bin\/[\w-]+\.js|src\/[\w/.-]+\.ts|dist\/src\/[\w/.-]+|build\/[\w.-]+)$/, `${name}: ${path} belongs in the tarball`)
        if (path.startsWith('build/')) assert.equal(name, '@chat/web', `${name}: only the web page ships a build/ folder`)
        assert.doesNotMatch(path, /(?:^|\/)test\/|tsbuildinfo|\.test\./, `${name}: ${path} is not a test or build info`)
        if (path.startsWith('dist/src/')) {
          assert.match(path, COMPILED, `${name}: ${path} is compiled output`)
          const source = path.replace(/^dist\//, '').replace(COMPILED, '.ts')
          assert.ok(files.includes(source), `${name}: ${path} has its source ${source} (not an orphan of a moved file)`)
        }
        if (path.endsWith('.map')) {
          const { sources } = JSON.parse(readFileSync(join(unpacked, path), 'utf8')) as { sources: string[] }
          for (const source of sources) {
            const resolved = join(dirname(path), source)
            assert.ok(files.includes(resolved), `${name}: ${path} points at ${resolved}, which is shipped`)
          }
        }
        if (path.startsWith('bin/')) assert.match(readFileSync(join(unpacked, path), 'utf8'), /^#!\/usr\/bin\/env /, `${name}: ${path} starts with a shebang`)
      }
      for (const source of files.filter(path => path.startsWith('src/'))) {
        for (const ext of ['.js', '.d.ts']) {
          const output = 'dist/' + source.replace(/\.ts$/, ext)
          assert.ok(files.includes(output), `${name}: ${source} is compiled to ${output}`)
        }
      }
      for (const required of ['package.json', 'README.md', 'LICENSE']) assert.ok(files.includes(required), `${name} ships ${required}`)
      if (name === '@chat/web') {
        // The built page, made by its prepack: what @chat/server serves at /. Nothing else of the build.
        assert.deepEqual(files.filter(path => path.startsWith('build/')), ['build/app.css', 'build/app.js', 'build/index.html'], `${name} ships its built page`)
        const page = readFileSync(join(unpacked, 'build', 'index.html'), 'utf8')
        assert.match(page, /<script type="module" src="\/app\.js\?v=[\w-]+">/, `${name}'s page loads its script`)
      }
      const readme = readFileSync(join(unpacked, 'README.md'), 'utf8')
      assert.match(readme, new RegExp(`^# ${name}\\n\\n\`\`\`sh\\npnpm add (?:-\\S+ )*${name}[ \\n]`), `${name}'s README starts with its install line`)
    }
  })

  it('installs with pnpm from the README\'s lines: chat-server runs on its SQLite store and the README snippet runs in JavaScript and strict TypeScript', async () => {
    const app = freshApp(h, registry.url)
    const install = codeBlocks(README, 'Install it in your app').find(block => block.lang === 'sh')
    assert.ok(install !== undefined, 'the README has the install commands')
    const adds = commands(install, 'pnpm add ')
    assert.deepEqual(adds.map(words => words[2]), ['@chat/client', '@chat/server'])
    for (const [command, ...args] of adds) {
      const { stdout, stderr } = await installIn(registry, command, args, app)
      assert.doesNotMatch(stdout + stderr, /WARN|Ignored build scripts/, `pnpm ${args.join(' ')} installs without a warning`)
    }

    const server = await installedServer(h, app)
    assert.ok(existsSync(join(app, 'data', 'chat.db')), 'the server keeps its data in ./data/chat.db')
    await runSnippet(app, server)

    // The same snippet, type-checked as a TypeScript user's app is: strict, against the installed packages' types.
    const root = readManifest(ROOT)
    const devDependencies = root.devDependencies as Record<string, string>
    await installIn(registry, 'pnpm', ['add', '-D', `typescript@${devDependencies.typescript}`, `@types/node@${devDependencies['@types/node']}`], app)
    writeFileSync(join(app, 'app.ts'), snippet())
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { strict: true, target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', noEmit: true, types: ['node'] },
      files: ['app.ts']
    }))
    await runOk(join(app, 'node_modules', '.bin', 'tsc'), ['-p', '.'], { cwd: app, env: cleanEnv(), timeoutMs: 120_000 })
  })

  it('installs with npm from the README\'s line, and the installed chat-server and snippet run', async () => {
    const app = freshApp(h, registry.url)
    const line = /`(npm i [^`]+)`/.exec(readFileSync(README, 'utf8'))
    assert.ok(line !== null, 'the README says how to install with npm')
    const [command, ...args] = line[1].split(/\s+/)
    await installIn(registry, command, args, app)
    const server = await installedServer(h, app)
    await runSnippet(app, server)
  })

  it('without the allowed build, pnpm\'s chat-server stops at once and says how to build its SQLite module', async () => {
    const app = freshApp(h, registry.url)
    await installIn(registry, 'pnpm', ['add', '@chat/server'], app)
    const { code, stderr } = await run(join(app, 'node_modules', '.bin', 'chat-server'), ['--port', '0', '--no-http'], { cwd: app, env: cleanEnv(), timeoutMs: 60_000 })
    assert.equal(code, 1)
    assert.match(stderr, /sqlite_binding_missing/)
    assert.match(stderr, /pnpm add @chat\/server --allow-build=better-sqlite3/)
    assert.match(stderr, /--memory/)
  })
})

type Conditions = { [condition: string]: string | Conditions }

/** An exports entry's conditions, nested ones too: "types" before the code it describes, every file shipped. */
function checkConditions (name: string, entry: string, conditions: Conditions, files: string[]): void {
  if ('types' in conditions) {
    const first = Object.keys(conditions).find(key => typeof conditions[key] === 'string')
    assert.equal(first, 'types', `${name} "${entry}": "types" comes before the code, as TypeScript needs`)
  }
  for (const target of Object.values(conditions)) {
    if (typeof target === 'string') assert.ok(files.includes(target.replace(/^\.\//, '')), `${name} "${entry}" → ${target} is in the tarball`)
    else checkConditions(name, entry, target, files)
  }
}

/** A new app outside the workspace whose registry is `registry` (as the public one would be), with its own metadata cache. */
function freshApp (h: Harness, registry: string): string {
  const app = h.tempDir('chat-app-')
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'chat-app', version: '1.0.0', private: true, type: 'module' }, null, 2))
  writeFileSync(join(app, '.npmrc'), `registry=${registry}\ncache-dir=${join(app, '.pnpm-cache')}\ncache=${join(app, '.npm-cache')}\nfund=false\naudit=false\n`)
  return app
}

/** Runs an install in `app`; if it fails, the error also says what the registry logged meanwhile. */
async function installIn (registry: LocalRegistry, command: string, args: string[], app: string): Promise<RunResult> {
  try {
    return await runOk(command, args, { cwd: app, env: cleanEnv(), timeoutMs: INSTALL_MS })
  } catch (err) {
    throw new Error(`${(err as Error).message}\nthe registry logged: ${registry.log}`, { cause: err })
  }
}

/** The app's installed `chat-server` on a free port and its default store (./data), serving the installed @chat/web page. */
async function installedServer (h: Harness, app: string): Promise<ServerProcess> {
  const server = await h.serverProcess(['--port', '0', '--http-port', '0'], { command: join(app, 'node_modules', '.bin', 'chat-server'), cwd: app, env: cleanEnv() })
  assert.match(server.stderr, /data in data\/chat\.db/, 'the installed server runs on its default SQLite store')
  const [, pageUrl] = await server.waitFor(/web page at (http:\/\/[^\s"]+)/, 'the installed server to serve the web page')
  const page = await fetch(pageUrl)
  assert.equal(page.status, 200, 'the installed server finds the installed @chat/web page')
  assert.match(await page.text(), /<div id="app"><\/div>/)
  return server
}

/** The README's "Use it in an app" code, exactly as written. */
function snippet (): string {
  const block = codeBlocks(README, 'Use it in an app').find(block => block.lang === 'ts')
  assert.ok(block !== undefined, 'the README has an app snippet')
  return block.code
}

/** Runs the snippet as an ES module JavaScript file of the app, against `server`: it must print its own message and end by itself. */
async function runSnippet (app: string, server: ServerProcess): Promise<void> {
  writeFileSync(join(app, 'app.mjs'), snippet())
  const { stdout } = await runOk(process.execPath, ['app.mjs'], { cwd: app, env: cleanEnv({ CHAT_URL: server.url }), timeoutMs: 60_000 })
  const hello = /^#(\d+) alice: hello$/m.exec(stdout)
  assert.ok(hello !== null, `the snippet prints its own message; it printed:\n${stdout}`)
  assert.match(stdout, new RegExp(`^caught up: #${Number(hello[1]) + 1} alice: sent while nobody was reading$`, 'm'))
}

function readManifest (dir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Record<string, unknown>
}

/** The registry npm is configured with here: the local one fetches third-party packages from it. */
async function upstreamRegistry (): Promise<string> {
  const { stdout } = await runOk('npm', ['config', 'get', 'registry'], { cwd: dirname(ROOT), env: cleanEnv(), timeoutMs: 30_000 })
  return stdout.trim()
}
