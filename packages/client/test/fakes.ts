import type { ClientMessage } from '@chat/protocol'
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

