/**
 * An attacking client, in a worker thread: its own event loop reads as fast
 * as loopback TCP delivers (a server that never yields is not slowed by it,
 * as a client in the server's own thread would slow it), and throws what it
 * reads away, counting. Driven by `Flood` (flood.ts).
 */
import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { parentPort, workerData } from 'node:worker_threads'
import { encodeFrame, FrameDecoder, PROTOCOL_VERSION } from '@chat/protocol'
import type { ClientMessage } from '@chat/protocol'

export interface FloodWorkerData {
  port: number
  username: string
  /** Rooms joined before the flood. */
  rooms: string[]
  /** Requests sent, all in one write, on `go`; numbered from 1,000. */
  requests: Array<Record<string, unknown> & { type: string }>
  /** Check that the room messages arrive with consecutive ids from 1 (one replay on a quiet room). */
  checkOrder?: boolean
}

/** main -> worker */
export type FloodCommand = { type: 'go' } | { type: 'count' } | { type: 'close' }

export interface FloodCounts {
  type: 'counts'
  /** Replies to the flood's requests, by type (`error:<code>` for errors). */
  replies: Record<string, number>
  /** Of all the requests. */
  answered: number
  /** `msg` frames. */
  messages: number
  bytes: number
  /** The lastId of each replay_done. */
  replayDone: number[]
  /** Milliseconds from `go` to the last reply (or to now while replies are missing). */
  elapsedMs: number
  /** A broken order, a closed connection. */
  failures: string[]
}

/** worker -> main */
export type FloodReport = { type: 'ready' } | { type: 'error', message: string } | FloodCounts | { type: 'done', counts: FloodCounts }

const FIRST_REQ = 1_000
const data = workerData as FloodWorkerData
const port = parentPort!
const frames = new FrameDecoder()
const text = new TextDecoder()
const MSG_PREFIX = Buffer.from('{"type":"msg","id":')
const counts: FloodCounts = { type: 'counts', replies: {}, answered: 0, messages: 0, bytes: 0, replayDone: [], elapsedMs: 0, failures: [] }
let socket: Socket
let setupReplies = 0
let startedAt = 0
let lastReplyAt = 0
let nextId = 1
let reported = false

function post (report: FloodReport): void {
  port.postMessage(report)
}

function write (message: Record<string, unknown>): void {
  socket.write(encodeFrame(message as unknown as ClientMessage))
}

function isMsg (bytes: Uint8Array, start: number): boolean {
  for (let i = 0; i < MSG_PREFIX.length; i++) if (bytes[start + i] !== MSG_PREFIX[i]) return false
  return true
}

/** The id of a `msg` body, read in place (it follows the prefix). */
function idOf (bytes: Uint8Array, start: number): number {
  let id = 0
  for (let i = start + MSG_PREFIX.length; bytes[i] >= 48 && bytes[i] <= 57; i++) id = id * 10 + bytes[i] - 48
  return id
}

function visit (bytes: Uint8Array, start: number, end: number): void {
  if (isMsg(bytes, start)) {
    counts.messages++
    if (data.checkOrder === true) {
      const id = idOf(bytes, start)
      if (id !== nextId && counts.failures.length < 5) counts.failures.push(`message ${id} where ${nextId} was due`)
      nextId = id + 1
    }
    return
  }
  const message = JSON.parse(text.decode(bytes.subarray(start, end))) as { type: string, re?: number, code?: string, n?: number, lastId?: number, fatal?: boolean }
  if (message.type === 'ping') {
    write({ type: 'pong', n: message.n })
    return
  }
  if (message.re === undefined) {
    if (message.type === 'error' && counts.failures.length < 5) counts.failures.push(`error ${message.code ?? ''}${message.fatal === true ? ' (fatal)' : ''}`)
    return
  }
  if (message.re < FIRST_REQ) {
    if (message.type !== 'welcome' && message.type !== 'joined') post({ type: 'error', message: `${data.username}: setup got ${JSON.stringify(message)}` })
    else if (++setupReplies === 1 + data.rooms.length) post({ type: 'ready' })
    return
  }
  const kind = message.type === 'error' ? `error:${message.code ?? ''}` : message.type
  counts.replies[kind] = (counts.replies[kind] ?? 0) + 1
  if (message.type === 'replay_done') counts.replayDone.push(message.lastId!)
  counts.answered++
  lastReplyAt = performance.now()
  if (counts.answered === data.requests.length && !reported) {
    reported = true
    post({ type: 'done', counts: snapshot() })
  }
}

function snapshot (): FloodCounts {
  const end = counts.answered === data.requests.length ? lastReplyAt : performance.now()
  return { ...counts, replies: { ...counts.replies }, replayDone: [...counts.replayDone], failures: [...counts.failures], elapsedMs: startedAt === 0 ? 0 : end - startedAt }
}

socket = connect({ host: '127.0.0.1', port: data.port, noDelay: true })
socket.on('error', err => { counts.failures.push(`socket: ${err.message}`) })
socket.on('close', () => { if (counts.failures.length < 5) counts.failures.push('the connection closed') })
socket.on('data', (chunk: Buffer) => {
  counts.bytes += chunk.byteLength
  try {
    frames.pushEach(chunk, visit)
  } catch (err) {
    post({ type: 'error', message: `${data.username}: ${(err as Error).message}` })
  }
})
socket.once('connect', () => {
  write({ type: 'hello', v: PROTOCOL_VERSION, req: 1, username: data.username })
  data.rooms.forEach((room, i) => { write({ type: 'join', req: 2 + i, room }) })
})

port.on('message', (command: FloodCommand) => {
  if (command.type === 'go') {
    startedAt = performance.now()
    socket.write(Buffer.concat(data.requests.map((request, i) => encodeFrame({ ...request, req: FIRST_REQ + i } as unknown as ClientMessage))))
  } else if (command.type === 'count') {
    post(snapshot())
  } else {
    socket.destroy()
    port.close()
  }
})
