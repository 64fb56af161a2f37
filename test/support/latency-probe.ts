import type { ChatClient } from '@chat/client'

/**
 * A bystander's view of the server: `from` sends a message to `room` every
 * `everyMs`, `to` (a member) reads them; each one's time from send to
 * receipt is kept. What a test asserts is that others' traffic does not
 * make the server slow for this pair.
 */
export class LatencyProbe {
  readonly latencies: number[] = []
  private readonly sentAt = new Map<string, number>()
  private stopped = false
  private readonly reading: Promise<void>
  private readonly sending: Promise<void>

  constructor (from: ChatClient, to: ChatClient, room: string, everyMs = 50) {
    const inbox = to.messages({ room })
    this.reading = (async () => {
      for await (const m of inbox) {
        const at = this.sentAt.get(m.text)
        if (at !== undefined) this.latencies.push(performance.now() - at)
        if (this.stopped && this.latencies.length === this.sentAt.size) break
      }
    })()
    this.sending = (async () => {
      for (let n = 0; !this.stopped; n++) {
        const text = `probe ${n}`
        this.sentAt.set(text, performance.now())
        await from.send(room, text)
        await new Promise(resolve => setTimeout(resolve, everyMs))
      }
    })()
  }

  /** Stops sending; resolves once every probe sent has been received. */
  async stop (): Promise<void> {
    this.stopped = true
    await this.sending
    if (this.latencies.length < this.sentAt.size) await this.reading
  }

  get max (): number {
    return Math.max(0, ...this.latencies)
  }

  get median (): number {
    const sorted = [...this.latencies].sort((a, b) => a - b)
    return sorted[Math.floor(sorted.length / 2)] ?? 0
  }
}
