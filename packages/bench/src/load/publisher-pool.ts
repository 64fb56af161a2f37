import { Worker } from 'node:worker_threads'
import type { PublisherCommand, PublisherCounts, PublisherReport, PublisherWorkerData } from './publisher-worker.js'

interface Waiter {
  resolve: (report: PublisherReport) => void
  reject: (err: Error) => void
}

/** The main thread's handle on the publishers' worker thread: one command, one report, in order. */
export class PublisherPool {
  private readonly worker: Worker
  private readonly waiting: Waiter[] = []
  private failure: Error | undefined

  private constructor (data: PublisherWorkerData) {
    this.worker = new Worker(new URL('./publisher-worker.js', import.meta.url), { workerData: data })
    this.worker.on('message', (report: PublisherReport) => { this.waiting.shift()?.resolve(report) })
    this.worker.on('error', err => { this.fail(err) })
    this.worker.on('exit', () => { this.fail(new Error('the publishers\' worker exited')) })
  }

  /** Starts the worker; resolves once every publisher is logged in and in its room. */
  static async start (data: PublisherWorkerData): Promise<PublisherPool> {
    const pool = new PublisherPool(data)
    const report = await pool.next()
    if (report.type === 'error') {
      await pool.close()
      throw new Error(report.message)
    }
    return pool
  }

  start (): void {
    this.worker.postMessage({ type: 'start' } satisfies PublisherCommand)
  }

  async counts (): Promise<PublisherCounts> {
    return await this.request({ type: 'count' })
  }

  /** Stops sending; resolves with the final counts once every send was acknowledged, or after `drainMs`. */
  async stop (drainMs: number): Promise<PublisherCounts> {
    return await this.request({ type: 'stop', drainMs })
  }

  async close (): Promise<void> {
    this.worker.postMessage({ type: 'close' } satisfies PublisherCommand)
    await this.worker.terminate()
  }

  private async request (command: PublisherCommand): Promise<PublisherCounts> {
    const reply = this.next()
    this.worker.postMessage(command)
    const report = await reply
    if (report.type !== 'counts') throw new Error(`unexpected report from the publishers: ${report.type}`)
    return report
  }

  private async next (): Promise<PublisherReport> {
    if (this.failure !== undefined) throw this.failure
    return await new Promise((resolve, reject) => { this.waiting.push({ resolve, reject }) })
  }

  private fail (err: Error): void {
    this.failure ??= err
    for (const waiter of this.waiting.splice(0)) waiter.reject(err)
  }
}
