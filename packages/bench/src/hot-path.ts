/**
 * The server's fan-out hot path alone, in one process, with no sockets:
 * publishers' `send` chunks handed to `ChatServer.accept`ed connections
 * whose transport counts what it is given and sends nothing. What it
 * measures is the server's own CPU per send (decoding, routing, the group
 * commit, the store, framing, queues and acks), without the kernel's socket
 * writes or a load generator on the same two cores, so two builds of the
 * server can be compared in alternating runs on a machine that is not
 * quiet (`pnpm bench` rows move by 10-30 % with other work).
 *
 *   node packages/bench/dist/src/hot-path.js                        # this build, 10 x 10
 *   node packages/bench/dist/src/hot-path.js --server /tmp/old/packages/server/dist/src/index.js --server <this build> --rounds 6
 *
 * Each run is a process of its own, with the server's Node flags (`SERVER_NODE_FLAGS`: Node's defaults).
 */
import { parseArgs } from 'node:util'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { encodeFrame } from '@chat/protocol'
import { frameLatin1 } from '@chat/protocol/fast'
import type { ChatServer } from '@chat/server'
import { SERVER_NODE_FLAGS } from './server-process.js'

const execFileAsync = promisify(execFile)

type ServerModule = typeof import('@chat/server')
type Duplex = Parameters<ChatServer['accept']>[0]
type DuplexEvents = Parameters<Duplex['attach']>[0]

/** A transport that takes every write at once and keeps nothing. */
class CountingDuplex implements Duplex {
  readonly remoteAddress: string
  readonly writableLength = 0
  bytes = 0
  events: DuplexEvents | undefined
  readonly source: AsyncIterable<Uint8Array> = (async function * () {})()
  readonly closed: Promise<void> = new Promise(() => {})

  constructor (n: number) {
    this.remoteAddress = `127.0.0.1:${n}`
  }

  attach (events: DuplexEvents): void { this.events = events }
  write (chunk: Uint8Array): boolean {
    this.bytes += chunk.byteLength
    return true
  }

  pause (): void {}
  resume (): void {}
  end (): void {}
  destroy (): void {}
  async sink (): Promise<void> {}
}

interface HotPathOptions {
  subscribers: number
  publishers: number
  /** Sends in one chunk of a publisher (a socket read). */
  perRead: number
  seconds: number
  /** Hand the same few chunks over and over (the driver then allocates nothing per send: what the heap sees is the server's). */
  reuseChunks: boolean
}

interface HotPathResult {
  sends: number
  nsPerSend: number
  nsPerDelivery: number
}

/** One run on a fresh server of `server` (an `@chat/server` module). */
async function run (server: ServerModule, o: HotPathOptions): Promise<HotPathResult> {
  const chat = server.createServer({
    logger: server.silentLogger,
    authMode: 'open',
    maxConnections: 1e6,
    maxConnectionsPerIp: 1e6,
    // On, as the bench's (BENCH_LIMITS), out of the way.
    rateLimits: { messagesPerSecond: 1e9, bytesPerSecond: 1e12, requestsPerSecond: 1e9 }
  })
  const connections: CountingDuplex[] = []
  for (let i = 0; i < o.subscribers + o.publishers; i++) {
    const duplex = new CountingDuplex(i)
    chat.accept(duplex, 'tcp')
    duplex.events!.onData(Buffer.concat([
      encodeFrame({ type: 'hello', v: 1, req: 1, username: `u${i}`, accept: ['msgs'] }),
      encodeFrame({ type: 'join', req: 2, room: 'bench' })
    ]))
    connections.push(duplex)
  }
  await new Promise(resolve => setTimeout(resolve, 50))
  const publishers = connections.slice(o.subscribers)
  const text = 'x'.repeat(64)
  let req = 10
  const chunk = (): Buffer => {
    let wire = ''
    for (let i = 0; i < o.perRead; i++) wire += frameLatin1(`{"type":"send","req":${req++},"room":"bench","text":"${text}"}`)
    return Buffer.from(wire, 'latin1')
  }
  const made = o.reuseChunks ? Array.from({ length: 4 * publishers.length }, chunk) : []
  let next = 0
  const chunkToSend = o.reuseChunks ? (): Buffer => made[next++ % made.length] : chunk
  const measure = async (ms: number): Promise<{ sends: number, cpuNs: number }> => {
    const cpu = process.cpuUsage()
    const started = performance.now()
    let sends = 0
    while (performance.now() - started < ms) {
      for (const publisher of publishers) {
        publisher.events!.onData(chunkToSend())
        sends += o.perRead
      }
      // The group commit and the writes run in the turns after the reads, as they would after a socket's.
      await nextTurn()
    }
    const used = process.cpuUsage(cpu)
    return { sends, cpuNs: (used.user + used.system) * 1000 }
  }
  await measure(1500)
  const { sends, cpuNs } = await measure(o.seconds * 1000)
  // The chunks are the driver's work, not the server's: made again alone, and taken off.
  const cpu = process.cpuUsage()
  for (let i = 0; i < sends / o.perRead; i++) chunkToSend()
  const used = process.cpuUsage(cpu)
  const serverNs = cpuNs - (used.user + used.system) * 1000
  // The process ends with the run: the server is not closed (its connections never close).
  return { sends, nsPerSend: serverNs / sends, nsPerDelivery: serverNs / sends / (o.subscribers + o.publishers) }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      server: { type: 'string', multiple: true },
      subscribers: { type: 'string', default: '10' },
      publishers: { type: 'string', default: '10' },
      'per-read': { type: 'string', default: '400' },
      seconds: { type: 'string', default: '3' },
      rounds: { type: 'string', default: '1' },
      'reuse-chunks': { type: 'boolean' },
      child: { type: 'boolean' }
    }
  })
  const o: HotPathOptions = {
    subscribers: Number(values.subscribers),
    publishers: Number(values.publishers),
    perRead: Number(values['per-read']),
    seconds: Number(values.seconds),
    reuseChunks: values['reuse-chunks'] === true
  }
  const servers = values.server ?? [fileURLToPath(import.meta.resolve('@chat/server'))]
  if (values.child === true) {
    const result = await run(await import(pathToFileURL(servers[0]).href) as ServerModule, o)
    console.log(JSON.stringify(result))
    process.exit(0)
  }
  // Each run in a process of its own, as the server runs (64 MiB young generation), the servers taking turns.
  const results = servers.map(() => [] as number[])
  for (let round = 0; round < Number(values.rounds); round++) {
    for (let s = 0; s < servers.length; s++) {
      const args = [...SERVER_NODE_FLAGS, fileURLToPath(import.meta.url), '--child', '--server', servers[s],
        '--subscribers', values.subscribers, '--publishers', values.publishers, '--per-read', values['per-read'], '--seconds', values.seconds, ...(o.reuseChunks ? ['--reuse-chunks'] : [])]
      const { stdout } = await execFileAsync(process.execPath, args)
      const r = JSON.parse(stdout.trim().split('\n').pop()!) as HotPathResult
      results[s].push(r.nsPerSend)
      console.log(`round ${round + 1} ${servers[s]}: ${r.sends} sends, ${Math.round(r.nsPerSend)} ns per send, ${r.nsPerDelivery.toFixed(1)} ns per delivery`)
    }
  }
  for (let s = 0; s < servers.length; s++) {
    const sorted = [...results[s]].sort((a, b) => a - b)
    console.log(`${servers[s]}: ns per send min ${Math.round(sorted[0])}, median ${Math.round(sorted[(sorted.length - 1) >> 1])} (${sorted.map(Math.round).join(', ')})`)
  }
}

await main()
