import type { ChatClient, SendAck } from '@chat/client'

/**
 * Sends texts[0], texts[1], ... to a room (or as direct messages to a user),
 * keeping up to `window` sends waiting for their acks, as a busy app would.
 * Records how each send settled: a test checks that every one resolved once.
 */
export class WindowedSender {
  readonly acks: Array<SendAck | undefined>
  readonly errors: Array<unknown>
  /** How many times each send settled (a promise can't settle twice; this catches a send() called twice). */
  readonly settled: number[]
  ackedCount = 0
  started = 0
  readonly done: Promise<void>

  constructor (client: ChatClient, target: { room: string } | { to: string }, readonly texts: readonly string[], window: number) {
    this.acks = new Array(texts.length)
    this.errors = new Array(texts.length)
    this.settled = new Array(texts.length).fill(0)
    // Each worker takes the next index and calls send() in the same tick, so frames leave in index order.
    const worker = async (): Promise<void> => {
      while (this.started < texts.length) {
        const i = this.started++
        try {
          const ack = 'room' in target ? await client.send(target.room, texts[i]) : await client.dm(target.to, texts[i])
          this.acks[i] = ack
          this.ackedCount++
        } catch (err) {
          this.errors[i] = err
        }
        this.settled[i]++
      }
    }
    this.done = Promise.all(Array.from({ length: Math.min(window, texts.length) }, worker)).then(() => {})
  }

  get failures (): Array<{ index: number, error: unknown }> {
    const failed: Array<{ index: number, error: unknown }> = []
    this.errors.forEach((error, index) => { if (error !== undefined) failed.push({ index, error }) })
    return failed
  }
}
