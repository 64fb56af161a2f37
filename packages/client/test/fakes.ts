import type { ClientMessage } from '@chat/protocol'
import type { PullDuplex } from '@chat/transport'
import type { CallConnection } from '../src/call-table.js'

/** A connection that records what the client sends (for the call table and the resume tracker). */
export class FakeConnection implements CallConnection {
  readonly sent: ClientMessage[] = []
  isEnded = false
  /** What `send` answers: false as a full queue would. */
  accepts = true
  spaces = 0

  send (message: ClientMessage): boolean {
    if (!this.accepts) return false
    this.sent.push(message)
    return true
  }

  /** What `resendAfter` was asked to send again, and after how long. */
  readonly resent: Array<{ message: ClientMessage, delayMs: number }> = []

  resendAfter (message: ClientMessage, delayMs: number): void {
    this.resent.push({ message, delayMs })
  }

  onSpace (): void {
    this.spaces++
  }

  /** The request id of the last message sent. */
  get lastReq (): number {
    const last = this.sent.at(-1) as { req?: number } | undefined
    if (last?.req === undefined) throw new Error('nothing with a req was sent')
    return last.req
  }
}

/** Whether a promise has settled, without awaiting it. */
export function track<T> (promise: Promise<T>): { settled: () => boolean, promise: Promise<T> } {
  let settled = false
  promise.then(() => { settled = true }, () => { settled = true })
  return { settled: () => settled, promise }
}

/** Lets pending promise callbacks run. */
export async function tick (): Promise<void> {
  await new Promise(resolve => setImmediate(resolve))
}

/**
 * A transport's connection in memory: no bytes ever come from the "server";
 * `drop()` ends it as a network loss would. What the client writes is kept.
 */
export class MemoryDuplex implements PullDuplex {
  readonly written: Uint8Array[] = []
  readonly closed: Promise<void>
  readonly remoteAddress = 'memory'
  readonly writableLength = 0
  destroyed = false
  readonly source: AsyncIterable<Uint8Array>
  private end!: () => void

  constructor () {
    // Held while open, as a socket's handle is: it keeps the event loop (and the client's unref'd timeouts) going.
    const handle = setInterval(() => {}, 60_000)
    this.closed = new Promise(resolve => { this.end = () => { clearInterval(handle); resolve() } })
    const closed = this.closed
    this.source = (async function * () { await closed })()
  }

  readonly sink = async (source: AsyncIterable<Uint8Array>): Promise<void> => {
    for await (const chunk of source) this.written.push(chunk)
  }

  readonly destroy = (): void => {
    this.destroyed = true
    this.end()
  }

  /** The connection is lost (reset, or the server went away). */
  drop (): void {
    this.end()
  }
}
