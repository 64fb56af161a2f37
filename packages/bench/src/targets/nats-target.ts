import { startProcess, waitForPort } from '../child-processes.js'
import { freePort } from '../free-port.js'
import { installed } from '../installed.js'
import type { ConnectionSpec, Endpoint, Receiver, TargetKind } from '../load/target.js'
import type { TextFields } from '../load/message-text.js'
import { parseTextBytes } from '../load/message-text.js'
import { LineSplitter } from './line-splitter.js'
import type { LineHandler } from './line-splitter.js'
import { SocketConnection } from './socket-connection.js'

/** nats-server (Debian's package), a subject per room. */
export function natsTarget (): TargetKind {
  return {
    name: 'nats-server',
    unavailable: () => installed('nats-server') ? undefined : 'nats-server is not installed (apt-get install -y nats-server)',
    start: async () => {
      const port = await freePort()
      const proc = startProcess('nats-server', 'nats-server', ['-a', '127.0.0.1', '-p', String(port)])
      try {
        await waitForPort(proc, port)
      } catch (err) {
        await proc.stop()
        throw err
      }
      return { name: 'nats-server', process: proc, endpoint: { protocol: 'nats', port }, stop: async () => { await proc.stop() } }
    }
  }
}

const M = 0x4d
const PLUS = 0x2b
const MINUS = 0x2d

/**
 * NATS's text protocol over a socket: SUB to the room's subject (publishers
 * too: NATS echoes a connection's own messages to its subscriptions, and that
 * echo is the publisher's ack), PUB to send, `MSG <subject> <sid> <bytes>` then
 * the payload line to receive. Ready on the PONG that answers our first PING.
 */
export class NatsConnection extends SocketConnection implements LineHandler {
  private readonly lines = new LineSplitter()
  private readonly fields: TextFields = { publisher: 0, seq: 0, sentMicros: 0 }
  private readonly own: number
  /** The next line is a MSG payload. */
  private payloadNext = false
  private readonly subject: string

  constructor (endpoint: Endpoint, spec: ConnectionSpec, receiver: Receiver) {
    super(endpoint, spec, receiver)
    this.own = spec.publisher ?? -1
    this.subject = `room.${spec.room}`
  }

  protected greet (): void {
    this.socket.write(`CONNECT {"verbose":false,"pedantic":false,"echo":true,"name":"${this.spec.name}"}\r\nSUB ${this.subject} 1\r\nPING\r\n`)
  }

  protected read (chunk: Buffer): void {
    this.lines.push(chunk, this)
  }

  line (bytes: Buffer, start: number, end: number): void {
    if (this.payloadNext) {
      this.payloadNext = false
      if (parseTextBytes(bytes, start, end, this.fields)) {
        if (this.fields.publisher === this.own) this.receiver.acked(1)
        else this.receiver.message(this.fields)
        return
      }
    }
    const first = bytes[start]
    if (first === M) { this.payloadNext = true; return } // MSG: our payloads have no line breaks
    if (first === PLUS) return // +OK
    const line = bytes.toString('latin1', start, end)
    if (line === 'PING') this.socket.write('PONG\r\n')
    else if (line === 'PONG') this.loggedIn()
    else if (first === MINUS) this.refused(line)
    // INFO and anything else: nothing to do.
  }

  send (texts: string[]): void {
    let out = ''
    for (const text of texts) out += `PUB ${this.subject} ${text.length}\r\n${text}\r\n`
    this.socket.write(out)
  }
}
