/**
 * The SQLite store's write path alone: `SqliteStore.append` of commits of
 * 256 messages over 4 rooms (what durable ingest's commits hold), keyed as
 * the SDK keys sends (`idempotencyKeys()`, a guest's scope per room) or not,
 * in a fresh store with durability full, checkpoints as the server runs them.
 * What a keyed message costs the store over an unkeyed one, without sockets
 * or a load generator, so that two builds can be compared in alternating
 * runs on a machine that is not quiet.
 *
 *   node packages/bench/dist/src/store-append.js                                   # this build
 *   node packages/bench/dist/src/store-append.js --build /tmp/before --build . --rounds 4
 *
 * Each run is a process of its own, with the server's Node flags; `--build` is a checkout's root, built.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { parseArgs, promisify } from 'node:util'
import { SERVER_NODE_FLAGS } from './server-process.js'

const execFileAsync = promisify(execFile)
const COMMIT = 256
const ROOMS = 4
/** A guest's key scope is its name and its session's lineage (12 characters). */
const scopeOf = (room: number): string => `pub-${room}~AbCdEfGhIjK${room}`

interface Measured { wallUs: number, cpuUs: number }

/** One run, in this process: `messages` appended to a fresh store of `build`. */
async function runOnce (build: string, keyed: boolean, messages: number): Promise<Measured> {
  const server = await import(pathToFileURL(join(build, 'packages/server/dist/src/index.js')).href) as typeof import('@chat/server')
  const protocol = await import(pathToFileURL(join(build, 'packages/protocol/dist/src/index.js')).href) as typeof import('@chat/protocol')
  const dir = mkdtempSync(join(tmpdir(), 'chat-store-append-'))
  try {
    const store = new server.SqliteStore(dir, { durability: 'full' })
    const keys = Array.from({ length: ROOMS }, () => protocol.idempotencyKeys())
    const lastIds = new Array<number>(ROOMS).fill(0)
    const text = 'x'.repeat(64)
    const wall = process.hrtime.bigint()
    const cpu = process.cpuUsage()
    for (let done = 0; done < messages; done += COMMIT) {
      const writes = Array.from({ length: COMMIT }, (_, i) => {
        const room = i % ROOMS
        const message = { stream: `r:bench-${room}`, id: ++lastIds[room], room: `bench-${room}`, from: `pub-${room}`, text, ts: Date.now() }
        return keyed ? { message, idempotency: { scope: scopeOf(room), key: keys[room]() } } : { message }
      })
      store.append(writes)
    }
    const used = process.cpuUsage(cpu)
    const measured = { wallUs: Number(process.hrtime.bigint() - wall) / 1000 / messages, cpuUs: (used.user + used.system) / messages }
    store.close()
    return measured
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      build: { type: 'string', multiple: true },
      rounds: { type: 'string', default: '3' },
      messages: { type: 'string', default: String(COMMIT * 1000) },
      child: { type: 'string' },
      keyed: { type: 'boolean', default: false }
    }
  })
  const messages = Number(values.messages)
  if (values.child !== undefined) {
    process.stdout.write(JSON.stringify(await runOnce(values.child, values.keyed, messages)))
    return
  }
  const here = resolve(fileURLToPath(new URL('../../../..', import.meta.url)))
  const builds = (values.build ?? [here]).map(build => resolve(build))
  const results = new Map<string, Measured[]>()
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const build of builds) {
      for (const keyed of [false, true]) {
        // As the server runs (its Node flags: a 64 MiB young generation).
        const args = [...SERVER_NODE_FLAGS, fileURLToPath(import.meta.url), '--child', build, '--messages', String(messages), ...(keyed ? ['--keyed'] : [])]
        const { stdout } = await execFileAsync(process.execPath, args)
        const name = `${build} ${keyed ? 'keyed' : 'unkeyed'}`
        results.set(name, [...results.get(name) ?? [], JSON.parse(stdout) as Measured])
      }
    }
  }
  for (const [name, runs] of results) {
    const median = (pick: (m: Measured) => number): string => runs.map(pick).sort((a, b) => a - b)[(runs.length - 1) >> 1].toFixed(2)
    console.log(`${name}: µs per message, median wall ${median(m => m.wallUs)}, CPU ${median(m => m.cpuUs)} (CPU of each run: ${runs.map(m => m.cpuUs.toFixed(2)).join(', ')})`)
  }
}

await main()
