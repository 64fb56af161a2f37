/**
 * A server in a child process of its own, for tests that measure it:
 * `node --expose-gc server-probe.fixture.js '<ServerOptions as JSON>'`.
 * It says `listening on <host>:<port>` on stderr; each `mem` line on its
 * stdin makes it collect garbage and answer one `mem <json>` line on stdout
 * (process.memoryUsage() and the server's stats()).
 */
import { createInterface } from 'node:readline'
import { createServer } from '../src/index.js'
import type { ServerOptions } from '../src/index.js'

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run me with --expose-gc')

const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions
const server = createServer(options)
const { address, port } = await server.listen({ host: '127.0.0.1', port: 0 })
console.error(`listening on ${address}:${port}`)

let n = 0
createInterface({ input: process.stdin }).on('line', line => {
  if (line.trim() !== 'mem') return
  // Sockets closed a moment ago are freed on a later turn: collect, let the loop turn, collect again.
  gc()
  setImmediate(() => {
    gc()
    const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage()
    console.log(`mem ${++n} ${JSON.stringify({ rss, heapUsed, external, arrayBuffers, ...server.stats() })}`)
  })
})
process.stdin.on('end', () => { void server.close().then(() => process.exit(0)) })
