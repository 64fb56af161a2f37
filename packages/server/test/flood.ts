/**
 * Fairness measurements: an attacking client in a worker thread (`Flood`),
 * and a bystander pair chatting in another room (`Bystander`) whose
 * message latencies are taken from when each message was due, so a blocked
 * event loop (which delays the sending timer too) is counted in full.
 */
import { Worker } from 'node:worker_threads'
import type { Harness, RawClient } from '@chat/testing'
import type { FloodCommand, FloodCounts, FloodReport, FloodWorkerData } from './flood-worker.js'

export type { FloodCounts }

/** The attacker's worker: one connection, logged in and in its rooms, its requests sent in one write on `go()`. */
export class Flood {
  private readonly worker: Worker
  private readonly reports: FloodReport[] = []
  private wake: (() => void) | undefined
  private failure: Error | undefined
  private finished: FloodCounts | undefined

  private constructor (data: FloodWorkerData) {
    this.worker = new Worker(new URL('./flood-worker.js', import.meta.url), { workerData: data })
    this.worker.on('message', (report: FloodReport) => {
      if (report.type === 'done') this.finished = report.counts
      else this.reports.push(report)
      this.wake?.()
    })
    this.worker.on('error', err => {
      this.failure = err
      this.wake?.()
    })
  }

  /** Starts the worker (stopped after the test); resolves once it is logged in and in its rooms. */
  static async start (h: Harness, data: FloodWorkerData): Promise<Flood> {
    const flood = new Flood(data)
    h.defer(`stopping the flood of ${data.username}`, async () => { await flood.close() })
    const report = await flood.next(10_000)
    if (report?.type !== 'ready') throw new Error(`${data.username} did not get ready: ${JSON.stringify(report) ?? 'timed out'}`)
    return flood
  }

  go (): void {
    this.worker.postMessage({ type: 'go' } satisfies FloodCommand)
  }

  /** The counts once every request was answered, or undefined if that took longer than `ms`. */
  async done (ms: number): Promise<FloodCounts | undefined> {
    const deadline = performance.now() + ms
    while (this.finished === undefined && performance.now() < deadline) {
      await this.waitReport(deadline - performance.now())
      this.throwFailure()
    }
    return this.finished
  }

  async counts (): Promise<FloodCounts> {
    if (this.finished !== undefined) return this.finished
    this.reports.length = 0
    this.worker.postMessage({ type: 'count' } satisfies FloodCommand)
    const report = await this.next(10_000)
    if (report?.type !== 'counts') throw new Error(`the flood's counts: ${JSON.stringify(report) ?? 'timed out'}`)
    return report
  }

  async close (): Promise<void> {
    this.worker.postMessage({ type: 'close' } satisfies FloodCommand)
    await this.worker.terminate()
  }

  private async next (ms: number): Promise<FloodReport | undefined> {
    const deadline = performance.now() + ms
    while (this.reports.length === 0 && performance.now() < deadline) {
      await this.waitReport(deadline - performance.now())
      this.throwFailure()
    }
    const report = this.reports.shift()
    if (report?.type === 'error') throw new Error(report.message)
    return report
  }

  private async waitReport (ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await new Promise<void>(resolve => {
      this.wake = resolve
      timer = setTimeout(resolve, Math.max(0, ms))
    })
    clearTimeout(timer)
    this.wake = undefined
  }

  private throwFailure (): void {
    if (this.failure !== undefined) throw this.failure
  }
}

export interface LatencyStats {
  count: number
  p50: number
  p99: number
  max: number
}

export function latencyStats (samples: number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q: number): number => sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN
  return { count: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? NaN }
}

export function describeStats (s: LatencyStats): string {
  return `${s.count} messages: p50 ${s.p50.toFixed(1)} ms, p99 ${s.p99.toFixed(1)} ms, max ${s.max.toFixed(1)} ms`
}

/**
 * Two users in a room of their own: one sends a message every `intervalMs`,
 * the other's arrival time of each, minus the time it was due, is a sample.
 * A sending timer that fires late sends every message that is due at once.
 */
export class Bystander {
  private readonly samples: number[] = []
  private measuring = false
  private startedAt = 0
  private sent = 0
  private received = 0
  private timer: NodeJS.Timeout | undefined
  private stopped = false
  private failure: Error | undefined

  private constructor (private readonly sender: RawClient, private readonly receiver: RawClient, private readonly room: string, private readonly intervalMs: number) {
    this.startedAt = performance.now()
    this.tick()
    void this.receive()
  }

  /** Logs the pair in over TCP to `port` and starts the chat. */
  static async start (h: Harness, port: number, intervalMs = 10, room = 'lounge'): Promise<Bystander> {
    const [sender, receiver] = await h.usersIn(port, room, 'bystander-a', 'bystander-b')
    const bystander = new Bystander(sender, receiver, room, intervalMs)
    h.defer('stopping the bystander', () => { bystander.stopSending() })
    return bystander
  }

  /** From now on, arrivals are samples. */
  measure (): void {
    this.samples.length = 0
    this.measuring = true
  }

  /** Stops sending, waits (up to `ms`) for what was sent, and returns the samples taken. */
  async stop (ms = 20_000): Promise<LatencyStats> {
    this.stopSending()
    const deadline = performance.now() + ms
    while (this.received < this.sent && this.failure === undefined && performance.now() < deadline) await new Promise(resolve => setTimeout(resolve, 10))
    if (this.failure !== undefined) throw this.failure
    if (this.received < this.sent) throw new Error(`the bystander got ${this.received} of ${this.sent} messages`)
    return latencyStats(this.samples)
  }

  private stopSending (): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  private dueAt (n: number): number {
    return this.startedAt + n * this.intervalMs
  }

  private tick (): void {
    if (this.stopped) return
    const now = performance.now()
    while (this.dueAt(this.sent) <= now) {
      this.sender.send({ type: 'send', req: this.sender.req(), room: this.room, text: `${this.sent}` })
      this.sent++
    }
    this.timer = setTimeout(() => { this.tick() }, Math.max(0, this.dueAt(this.sent) - performance.now()))
  }

  private async receive (): Promise<void> {
    try {
      while (true) {
        const n = this.received
        // Waits until the receiver closes after the test, once everything arrived.
        const message = await this.receiver.nextOfType('msg', m => m.room === this.room, 600_000)
        if (message.text !== `${n}`) throw new Error(`the bystander got ${message.text} where ${n} was due`)
        if (this.measuring) this.samples.push(performance.now() - this.dueAt(n))
        this.received++
      }
    } catch (err) {
      if (!this.stopped || this.received < this.sent) this.failure = err as Error
    }
  }
}
