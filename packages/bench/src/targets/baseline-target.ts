import { fileURLToPath } from 'node:url'
import { startProcess, waitForOutput } from '../child-processes.js'
import { SERVER_NODE_FLAGS } from '../server-process.js'
import type { ConnectionSpec, Endpoint, LoadTarget, Receiver, TargetKind } from '../load/target.js'
import type { TextFields } from '../load/message-text.js'
import { parseTextBytes } from '../load/message-text.js'
import { LineSplitter } from './line-splitter.js'
import type { LineHandler } from './line-splitter.js'
import { SocketConnection } from './socket-connection.js'

const BASELINE_SERVER = fileURLToPath(new URL('../servers/baseline-server.js', import.meta.url))

/** The line-relay baseline (servers/baseline-server.ts), in its own Node process. */
export function baselineTarget (): TargetKind {
  return {
    name: 'baseline',
    unavailable: () => undefined,
    start: async () => {
      const proc = startProcess('baseline', process.execPath, [...SERVER_NODE_FLAGS, BASELINE_SERVER, '0'])
      try {
        const port = Number((await waitForOutput(proc, /listening on [\d.]+:(\d+)/))[1])
        return { name: 'baseline', process: proc, endpoint: { protocol: 'line', port }, stop: async () => { await proc.stop() } } satisfies LoadTarget
      } catch (err) {
        await proc.stop()
        throw err
      }
    }
  }
}

const O = 0x4f

/** The baseline's line protocol: a publisher's own line coming back is its ack. */
export class LineConnection extends SocketConnection implements LineHandler {
  private readonly lines = new LineSplitter()
  private readonly fields: TextFields = { publisher: 0, seq: 0, sentMicros: 0 }
  private readonly own: number

  constructor (endpoint: Endpoint, spec: ConnectionSpec, receiver: Receiver) {
    super(endpoint, spec, receiver)
    this.own = spec.publisher ?? -1
  }

  protected greet (): void {
    this.socket.write(`JOIN ${this.spec.name} ${this.spec.room}\n`)
  }

  protected read (chunk: Buffer): void {
    this.lines.push(chunk, this)
  }

  line (bytes: Buffer, start: number, end: number): void {
    if (parseTextBytes(bytes, start, end, this.fields)) {
      if (this.fields.publisher === this.own) this.receiver.acked(1)
      else this.receiver.message(this.fields)
    } else if (bytes[start] === O) {
      this.loggedIn()
    } else {
      this.refused(`unexpected line ${bytes.toString('utf8', start, end)}`)
    }
  }

  send (texts: string[]): void {
    this.socket.write(texts.join('\n') + '\n')
  }
}
