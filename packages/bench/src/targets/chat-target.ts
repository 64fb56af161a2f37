import { randomUUID } from 'node:crypto'
import { encodeFrame, idempotencyKeys } from '@chat/protocol'
import { frameLatin1 } from '@chat/protocol/fast'
import { startServerProcess } from '../server-process.js'
import { scrapeMetrics } from './server-metrics.js'
import type { ConnectionSpec, Endpoint, LoadTarget, Receiver, TargetKind } from '../load/target.js'
import type { TextFields } from '../load/message-text.js'
import { parseTextBytes, TEXT_BYTES } from '../load/message-text.js'
import { FrameScanner } from './frame-scanner.js'
import { readRunTexts } from './run-reader.js'
import type { FrameHandler } from './frame-scanner.js'
import { SocketConnection } from './socket-connection.js'

/**
 * The limits a benchmark's load would meet (every load generator is one address, and far over one
 * client's rates), raised out of its way but left on: the rate checks still run on every request.
 */
export const BENCH_LIMITS = [
  '--max-connections', '1000000', '--max-connections-per-ip', '1000000',
  '--messages-per-second', '1000000000', '--bytes-per-second', '1000000000000', '--requests-per-second', '1000000000'
]

/**
 * Our server, from its CLI. `args` choose the store (default: in memory, guests allowed).
 * With `metrics`, it also listens on HTTP and its `/metrics` are read at the start and the end
 * of the measured window (`LoadResult.probe`: `serverWindow` of them).
 */
export function chatTarget (name = 'chat', args: string[] = ['--memory'], options: { metrics?: boolean } = {}): TargetKind {
  return {
    name,
    unavailable: () => undefined,
    start: async () => {
      const server = await startServerProcess(['--auth', 'open', ...BENCH_LIMITS, ...args], { http: options.metrics === true })
      const httpPort = server.httpPort
      return {
        name,
        process: server,
        endpoint: { protocol: 'chat', port: server.port },
        stop: async () => { await server.stop() },
        probe: httpPort === undefined ? undefined : async () => await scrapeMetrics(httpPort)
      } satisfies LoadTarget
    }
  }
}

const utf8 = new TextDecoder()

// Every body the server sends starts `{"type":"`, so the type name starts at byte 9.
const TYPE_AT = 9
const M = 0x6d
const S = 0x73
const A = 0x61
const C = 0x63
const P = 0x70
const R = 0x72
const JOIN_REQ = 2

/**
 * Our protocol, read cheaply: `msg` and `ack` frames are recognised from their
 * first bytes and only the text's leading numbers are read; `presence` frames
 * are skipped; anything else (welcome, joined, ping, error, bye) is rare and
 * parsed as JSON.
 */
export class ChatConnection extends SocketConnection implements FrameHandler {
  private readonly scanner = new FrameScanner()
  private readonly fields: TextFields = { publisher: 0, seq: 0, sentMicros: 0 }
  private readonly deliver = (fields: TextFields): void => { this.receiver.message(fields) }
  private nextReq = JOIN_REQ + 1
  private readonly roomJson: string
  /** Sends carry a `key` each, made as `@chat/client` makes them (`idempotencyKeys()`: a random prefix per connection, then a counter). */
  private readonly keyed: boolean
  private readonly nextKey: () => string

  constructor (endpoint: Endpoint, spec: ConnectionSpec, receiver: Receiver) {
    super(endpoint, spec, receiver)
    this.roomJson = JSON.stringify(spec.room)
    this.keyed = endpoint.keyed === true
    this.nextKey = endpoint.uuidKeys === true ? randomUUID : idempotencyKeys()
  }

  protected greet (): void {
    // Pipelined: the server handles a connection's messages in order.
    this.socket.write(Buffer.concat([
      // As @chat/client does: a room's messages in runs (PROTOCOL.md §10).
      encodeFrame({ type: 'hello', v: 1, req: 1, username: this.spec.name, accept: ['msgs'] }),
      encodeFrame({ type: 'join', req: JOIN_REQ, room: this.spec.room })
    ]))
  }

  protected read (chunk: Buffer): void {
    try {
      this.scanner.push(chunk, this)
    } catch (err) {
      this.refused(`unreadable frames: ${(err as Error).message}`)
      this.close()
    }
  }

  frame (bytes: Uint8Array, start: number, end: number): void {
    const t = bytes[start + TYPE_AT]
    const t2 = bytes[start + TYPE_AT + 1]
    if (t === M && t2 === S && bytes[start + TYPE_AT + 3] === S) {
      if (readRunTexts(bytes, start + TYPE_AT, end, this.fields, this.deliver)) return
    } else if (t === M && t2 === S) {
      const text = textStart(bytes, start + TYPE_AT, end)
      if (text !== -1 && parseTextBytes(bytes, text, end, this.fields)) {
        this.receiver.message(this.fields)
        return
      }
    } else if (t === A && t2 === C) {
      this.receiver.acked(1)
      return
    } else if (t === P && t2 === R) {
      return // presence: other connections joining or leaving
    }
    // `bytes` may be a plain Uint8Array (a frame that spanned chunks): no Buffer methods here.
    this.control(JSON.parse(utf8.decode(bytes.subarray(start, end))) as Record<string, unknown>)
  }

  /** Frames off the hot path. */
  private control (message: Record<string, unknown>): void {
    switch (message.type) {
      case 'joined': if (message.re === JOIN_REQ) this.loggedIn(); return
      case 'welcome': case 'presence': case 'pong': return
      case 'ping': this.socket.write(encodeFrame({ type: 'pong', n: message.n as number })); return
      default: this.refused(`${String(message.type)} ${String(message.code ?? '')}: ${String(message.message ?? JSON.stringify(message))}`)
    }
  }

  /**
   * All the texts' frames as one latin1 string, written once (`frameLatin1`:
   * the texts are ASCII with nothing to escape, message-text.ts). Building a
   * buffer per frame cost the load generator more than the server's work.
   */
  send (texts: string[]): void {
    let wire = ''
    if (this.keyed) {
      for (const text of texts) {
        wire += frameLatin1(`{"type":"send","req":${this.nextReq++},"room":${this.roomJson},"text":"${text}","key":"${this.nextKey()}"}`)
      }
    } else {
      for (const text of texts) wire += frameLatin1(`{"type":"send","req":${this.nextReq++},"room":${this.roomJson},"text":"${text}"}`)
    }
    this.socket.write(wire)
  }
}

const QUOTE = 0x22
const COLON = 0x3a
const T = 0x74
const E = 0x65
const X = 0x78
/** A msg body ends `"text":"<64 bytes>","ts":<13 digits>}` as the server writes it today. */
const TEXT_KEY_FROM_END = 8 + TEXT_BYTES + 7 + 13 + 1

/**
 * Where the value of `"text":"` starts in a msg body, or -1. First where it is
 * when the server writes the fields in its usual order (checked), else by
 * scanning: a JS loop, as `Buffer.indexOf` with a needle costs more per call
 * than all the rest of a frame's handling.
 */
function textStart (bytes: Uint8Array, from: number, end: number): number {
  const guess = end - TEXT_KEY_FROM_END
  if (guess >= from && isTextKey(bytes, guess)) return guess + 8
  for (let i = from; i + 7 < end; i++) if (isTextKey(bytes, i)) return i + 8
  return -1
}

function isTextKey (bytes: Uint8Array, i: number): boolean {
  return bytes[i] === QUOTE && bytes[i + 1] === T && bytes[i + 2] === E && bytes[i + 3] === X && bytes[i + 4] === T &&
    bytes[i + 5] === QUOTE && bytes[i + 6] === COLON && bytes[i + 7] === QUOTE
}
