import { connect } from '@chat/client'
import type { PullDuplex } from '@chat/client'
import { encodeFrame } from '@chat/protocol'
import type { MessageRow } from '@chat/protocol'
import type { Cell, ScenarioReport } from '../report.js'
import { jsonBodies, parseEach, recordedMessage } from './recorded-messages.js'

export interface SdkConsumeOptions {
  messages: number
}

const CHUNK_BYTES = 64 * 1024

/** A stream of `msg` frames, prerecorded and cut into socket-sized chunks. */
function prerecorded (messages: number): Uint8Array[] {
  const frames: Uint8Array[] = []
  for (let id = 1; id <= messages; id++) frames.push(encodeFrame(recordedMessage(id)))
  const all = Buffer.concat(frames)
  const chunks: Uint8Array[] = []
  for (let offset = 0; offset < all.length; offset += CHUNK_BYTES) chunks.push(all.subarray(offset, offset + CHUNK_BYTES))
  return chunks
}

/** Rows per run: about the 32 KiB the server puts in one (`RUN_BYTES`) for these 64-byte texts. */
const ROWS_PER_RUN = 400

/** The same messages as `msgs` runs (PROTOCOL.md §10), as the server sends them to the SDK, cut into chunks the same way. */
function prerecordedRuns (messages: number): Uint8Array[] {
  const frames: Uint8Array[] = []
  for (let first = 1; first <= messages; first += ROWS_PER_RUN) {
    const rows: MessageRow[] = []
    for (let id = first; id < first + ROWS_PER_RUN && id <= messages; id++) {
      const { from, text, ts } = recordedMessage(id)
      rows.push([from, text, ts])
    }
    frames.push(encodeFrame({ type: 'msgs', room: 'general', id: first, rows }))
  }
  const all = Buffer.concat(frames)
  const chunks: Uint8Array[] = []
  for (let offset = 0; offset < all.length; offset += CHUNK_BYTES) chunks.push(all.subarray(offset, offset + CHUNK_BYTES))
  return chunks
}

/** The floor of any JSON client (`parseEach`), as a baseline, timed. */
function bareJsonParse (bodies: Uint8Array[]): Consumed {
  const cpuBefore = process.cpuUsage()
  const started = process.hrtime.bigint()
  parseEach(bodies)
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage(cpuBefore)
  return { received: bodies.length, seconds, inOrder: true, cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100 }
}

interface Consumed {
  received: number
  seconds: number
  inOrder: boolean
  cpuSeconds: number
}

/**
 * Connects a client to a transport that answers the login and then replays
 * `chunks`, and reads `messages` of them with `for await` over `messages()`
 * (one by one, or with `batch: true` in arrays), timing the reading alone.
 */
async function consume (chunks: Uint8Array[], messages: number, batch: boolean): Promise<Consumed> {
  const welcome = encodeFrame({
    type: 'welcome', v: 1, re: 1, username: 'alice', heartbeatIntervalMs: 600_000, heartbeatTimeoutMs: 1_200_000,
    maxFrameBytes: 65_536, maxTextBytes: 16_384, registered: false, session: 'bench'
  })
  let startStream!: () => void
  const streamStarts = new Promise<void>(resolve => { startStream = resolve })
  let closeTransport!: () => void
  const transportClosed = new Promise<void>(resolve => { closeTransport = resolve })
  const transport = async (): Promise<PullDuplex> => ({
    source: (async function * () {
      yield welcome
      await streamStarts
      yield * chunks
      await transportClosed
    })(),
    sink: async source => { for await (const _ of source) { /* the client's frames are not needed */ } },
    destroy: () => { closeTransport() },
    writableLength: 0,
    closed: transportClosed,
    remoteAddress: 'memory'
  })
  const client = await connect('tcp://memory:1', { username: 'alice', transport, reconnect: false, closeTimeoutMs: 10 })
  const batches = batch ? client.messages({ batch: true }) : undefined
  const inbox = batch ? undefined : client.messages()
  const cpuBefore = process.cpuUsage()
  const started = process.hrtime.bigint()
  startStream()
  let received = 0
  let inOrder = true
  if (inbox !== undefined) {
    for await (const msg of inbox) {
      if (msg.id !== ++received) inOrder = false
      if (received === messages) break
    }
  } else {
    reading: for await (const msgs of batches!) {
      for (const msg of msgs) {
        if (msg.id !== ++received) inOrder = false
        if (received === messages) break reading
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const cpu = process.cpuUsage(cpuBefore)
  await client.close()
  return { received, seconds, inOrder, cpuSeconds: Math.round((cpu.user + cpu.system) / 1e4) / 100 }
}

/** Timed rounds of each reader; the rows give the median round. */
const ROUNDS = 3
/** Messages read before anything is timed (as the other scenarios warm up), by each reader: a tenth of the run. */
const WARM_UP_SHARE = 0.1

const perSecond = (run: Consumed): number => Math.round(run.received / run.seconds)

/** The middle value (ROUNDS is odd). */
function median<T> (items: T[], key: (item: T) => number): T {
  return [...items].sort((a, b) => key(a) - key(b))[Math.floor(items.length / 2)]
}

const thousands = (n: number): string => `${Math.round(n / 1000).toLocaleString('en-US')}k`

/**
 * The SDK's read path alone: decode + dispatch + `for await` over
 * `messages()`, fed from memory through a transport that answers the login
 * and then replays the recording. No socket, no server: the figure is what
 * the client can consume, so it is never the bottleneck of the others.
 *
 * After a warm-up of both, `messages()` and the bare loop (the floor) take
 * turns, ROUNDS times: each round's ratio pairs two windows a second apart,
 * and the median round leaves out one disturbed by other work (each window
 * is about half a second). Then `messages({ batch: true })`, ROUNDS times.
 */
export async function sdkConsumeScenario (options: SdkConsumeOptions): Promise<ScenarioReport> {
  const chunks = prerecorded(options.messages)
  const bodies = jsonBodies(options.messages)
  const warmUp = Math.max(1, Math.round(options.messages * WARM_UP_SHARE))
  await consume(chunks, warmUp, false)
  bareJsonParse(bodies.slice(0, warmUp))
  const rounds: Array<{ plain: Consumed, bare: Consumed, ratio: number }> = []
  for (let round = 0; round < ROUNDS; round++) {
    const plain = await consume(chunks, options.messages, false)
    const bare = bareJsonParse(bodies)
    rounds.push({ plain, bare, ratio: perSecond(plain) / perSecond(bare) })
  }
  const batches: Consumed[] = []
  for (let round = 0; round < ROUNDS; round++) batches.push(await consume(chunks, options.messages, true))
  const runChunks = prerecordedRuns(options.messages)
  await consume(runChunks, warmUp, false)
  const runs: Consumed[] = []
  for (let round = 0; round < ROUNDS; round++) runs.push(await consume(runChunks, options.messages, false))
  const plain = median(rounds, r => perSecond(r.plain)).plain
  const bare = median(rounds, r => perSecond(r.bare)).bare
  const batched = median(batches, perSecond)
  const overRuns = median(runs, perSecond)
  // In order only if every round was.
  const rowOf = (target: string, run: Consumed, vsBare: number, inOrder: boolean): Record<string, Cell> => ({
    target,
    messages: run.received,
    seconds: Math.round(run.seconds * 100) / 100,
    messagesPerSecond: perSecond(run),
    vsBare: Math.round(vsBare * 100) / 100,
    inOrder,
    cpuSeconds: run.cpuSeconds
  })
  const row = rowOf('@chat/client messages()', plain, median(rounds, r => r.ratio).ratio, rounds.every(r => r.plain.inOrder))
  const bareRow = rowOf('bare UTF-8 decode + JSON.parse loop (floor)', bare, 1, true)
  const batchRow = rowOf('@chat/client messages({ batch: true })', batched, perSecond(batched) / perSecond(bare), batches.every(b => b.inOrder))
  const runsRow = rowOf('@chat/client messages(), the stream as msgs runs', overRuns, perSecond(overRuns) / perSecond(bare), runs.every(r => r.inOrder))
  const each = rounds.map(r => `${thousands(perSecond(r.plain))} / ${thousands(perSecond(r.bare))} / ${Math.round(r.ratio * 100) / 100}×`).join('; ')
  return {
    scenario: 'sdk-consume',
    title: `SDK: for await over messages(), ${options.messages.toLocaleString('en-US')} prerecorded 64-byte texts, no socket`,
    columns: [
      { key: 'target', header: 'target' },
      { key: 'messages', header: 'messages' },
      { key: 'seconds', header: 'seconds' },
      { key: 'messagesPerSecond', header: 'messages/s' },
      { key: 'vsBare', header: '× bare JSON.parse' },
      { key: 'inOrder', header: 'in order' },
      { key: 'cpuSeconds', header: 'CPU (s)' }
    ],
    rows: [row, bareRow, batchRow, runsRow],
    notes: [
      'bare JSON.parse: the same message bodies decoded in a plain loop (no framing, validation or dispatch); what any JSON client pays at least.',
      `After a warm-up (${warmUp.toLocaleString('en-US')} messages each), messages() and the bare loop take turns ${ROUNDS} times; each row is the median round, and messages()'s × is the median of the rounds' ratios. Rounds (messages() / bare / ×): ${each}.`,
      `batch: true: the same stream read as arrays (every message queued at each step), ${ROUNDS} rounds after the others; its × is against the median bare round.`,
      `msgs runs: the same messages as the server sends them to @chat/client since PROTOCOL.md §10 (runs of ${ROWS_PER_RUN}, about 32 KiB each), read with the plain for await, ${ROUNDS} rounds; its × is against the median bare round (which parses one msg per body).`
    ],
    results: [row, bareRow, batchRow, runsRow]
  }
}
