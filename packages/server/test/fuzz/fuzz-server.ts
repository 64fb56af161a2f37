import { ErrorCodes, FrameDecoder, decodeServerMessage, encodeFrame } from '@chat/protocol'
import type { ServerMessage } from '@chat/protocol'
import { duplexPair } from '@chat/transport'
import type { Duplex } from '@chat/transport'
import { createServer } from '../../src/index.js'
import type { ChatServer } from '../../src/index.js'
import { SeededRandom } from '@chat/testing'
import { fuzzFrame } from './fuzz-frames.js'
import type { FrameKind } from './fuzz-frames.js'

export interface FuzzOptions {
  frames: number
  seed: number
  /** Connections fuzzing at once (most of a connection's time is the server hashing a fuzzed password or delaying a failed login). Default 16. */
  parallel?: number
}

export interface FuzzReport {
  seed: number
  framesSent: number
  byKind: Partial<Record<FrameKind, number>>
  connections: number
  /** What the server answered, by message type, and its error codes. */
  replies: Record<string, number>
  errorCodes: Record<string, number>
  /** Broken promises: a reply that is not a valid server message, an unknown error code, an internal_error, an uncaught exception. */
  violations: string[]
}

const KNOWN_CODES = new Set<string>(Object.values(ErrorCodes))

/** One fuzzing connection: a client end that keeps every reply, decoded and checked. */
class FuzzConnection {
  readonly ended: Promise<void>
  private readonly decoder = new FrameDecoder(1 << 24)
  private finish!: () => void
  closed = false

  constructor (readonly client: Duplex, private readonly report: FuzzReport) {
    this.ended = new Promise(resolve => { this.finish = resolve })
    client.attach({
      onData: chunk => { this.read(chunk) },
      onEnd: () => { this.client.end() },
      onDrain: () => {},
      onClose: () => { this.closed = true; this.finish() }
    })
  }

  private read (chunk: Uint8Array): void {
    try {
      this.decoder.pushEach(chunk, (bytes, start, end) => { this.check(decodeServerMessage(bytes, start, end)) })
    } catch (err) {
      this.report.violations.push(`the server sent bytes that are not a valid server message: ${(err as Error).message}`)
    }
  }

  private check (message: ServerMessage): void {
    const { replies, errorCodes, violations } = this.report
    replies[message.type] = (replies[message.type] ?? 0) + 1
    if (message.type !== 'error') return
    errorCodes[message.code] = (errorCodes[message.code] ?? 0) + 1
    if (!KNOWN_CODES.has(message.code)) violations.push(`unknown error code ${message.code}: ${message.message}`)
    if (message.code === ErrorCodes.INTERNAL_ERROR) violations.push(`internal_error: ${message.message}`)
  }
}

/**
 * Feeds a server `frames` fuzzed frames over in-memory connections (many at
 * once, cut into random chunks; about two in three connections log in
 * first), and checks every reply. A bystander chats through it all and must
 * still get its own message back at the end. Deterministic for a seed, up to
 * how the event loop interleaves.
 */
export async function fuzzServer (options: FuzzOptions): Promise<FuzzReport> {
  const rng = new SeededRandom(options.seed)
  const report: FuzzReport = { seed: options.seed, framesSent: 0, byKind: {}, connections: 0, replies: {}, errorCodes: {}, violations: [] }
  const uncaught = (err: unknown): void => { report.violations.push(`uncaught: ${String((err as Error)?.stack ?? err)}`) }
  process.on('uncaughtException', uncaught)
  process.on('unhandledRejection', uncaught)
  const server = createServer({ authMode: 'accounts', heartbeatIntervalMs: 60_000, heartbeatTimeoutMs: 120_000 })
  try {
    const bystander = await openBystander(server)
    const lanes = Array.from({ length: options.parallel ?? 16 }, async (_, lane) => {
      while (report.framesSent < options.frames) await fuzzOneConnection(server, rng, report, lane, options.frames)
    })
    await Promise.all(lanes)
    await bystander.roundTrip('still here')
    await bystander.close()
  } finally {
    await server.close({ signal: AbortSignal.timeout(5_000) }).catch(() => {})
    process.off('uncaughtException', uncaught)
    process.off('unhandledRejection', uncaught)
  }
  return report
}

async function fuzzOneConnection (server: ChatServer, rng: SeededRandom, report: FuzzReport, lane: number, total: number): Promise<void> {
  const [serverEnd, clientEnd] = duplexPair({ allowHalfOpen: true })
  server.accept(serverEnd)
  const connection = new FuzzConnection(clientEnd, report)
  report.connections++
  if (rng.chance(0.66)) {
    clientEnd.write(encodeFrame({ type: 'hello', v: 1, req: 1, username: `fuzz${lane}x${report.connections}` }))
    // In a room, so that fuzzed sends to it can be stored and acknowledged.
    if (rng.chance(0.7)) clientEnd.write(encodeFrame({ type: 'join', req: 2, room: 'general' }))
  }
  const budget = 1 + rng.int(300)
  for (let sent = 0; sent < budget && report.framesSent < total && !connection.closed; sent++) {
    const { kind, bytes } = fuzzFrame(rng)
    report.byKind[kind] = (report.byKind[kind] ?? 0) + 1
    report.framesSent++
    // Random chunking: whole, or cut in two at any byte.
    if (bytes.byteLength > 1 && rng.chance(0.3)) {
      const cut = 1 + rng.int(bytes.byteLength - 1)
      clientEnd.write(bytes.subarray(0, cut))
      clientEnd.write(bytes.subarray(cut))
    } else {
      clientEnd.write(bytes)
    }
    if (sent % 16 === 15) await new Promise(resolve => setImmediate(resolve))
  }
  // Done with this one: end our side, and let the server answer and close (or cut it if it waits for a frame's rest).
  clientEnd.end()
  const cut = setTimeout(() => { clientEnd.destroy() }, 50)
  await connection.ended
  clearTimeout(cut)
}

interface Bystander {
  roundTrip: (text: string) => Promise<void>
  close: () => Promise<void>
}

/** An honest client in a room of its own: logs in and joins now, and must get its own message back later. */
async function openBystander (server: ChatServer): Promise<Bystander> {
  const [serverEnd, clientEnd] = duplexPair({ allowHalfOpen: true })
  server.accept(serverEnd)
  const decoder = new FrameDecoder()
  const waiting: Array<{ accepts: (m: ServerMessage) => boolean, resolve: () => void }> = []
  clientEnd.attach({
    onData: chunk => {
      decoder.pushEach(chunk, (bytes, start, end) => {
        const message = decodeServerMessage(bytes, start, end)
        for (const [i, w] of waiting.entries()) {
          if (w.accepts(message)) { waiting.splice(i, 1); w.resolve(); break }
        }
      })
    },
    onEnd: () => {},
    onDrain: () => {},
    onClose: () => {}
  })
  const expect = async (accepts: (m: ServerMessage) => boolean, what: string): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      await Promise.race([
        new Promise<void>(resolve => { waiting.push({ accepts, resolve }) }),
        new Promise((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`the bystander waited too long for ${what}`)) }, 30_000) })
      ])
    } finally {
      clearTimeout(timer)
    }
  }
  const welcomed = expect(m => m.type === 'welcome', 'its welcome')
  clientEnd.write(encodeFrame({ type: 'hello', v: 1, req: 1, username: 'bystander' }))
  await welcomed
  const joined = expect(m => m.type === 'joined', 'its join')
  clientEnd.write(encodeFrame({ type: 'join', req: 2, room: 'quiet-corner' }))
  await joined
  let req = 2
  return {
    roundTrip: async text => {
      const echoed = expect(m => m.type === 'msg' && m.text === text, 'its own message')
      clientEnd.write(encodeFrame({ type: 'send', req: ++req, room: 'quiet-corner', text }))
      await echoed
    },
    close: async () => { clientEnd.destroy(); await clientEnd.closed }
  }
}
