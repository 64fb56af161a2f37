import { TurnBatch } from './turn-batch.js'
import type { LocalStore, MessageWrite } from '../store/store.js'

/**
 * Writes messages to the store in groups: everything accepted during one
 * turn of the event loop is committed in one transaction (one sync to disk),
 * and only then handed back for delivery. Durability costs one fsync per
 * batch, not per message, and a message is never seen by anyone before it
 * is on disk.
 */
export class GroupCommitLog<Write extends MessageWrite> {
  private readonly batch = new TurnBatch<Write>(writes => { this.commit(writes) })

  constructor (
    private readonly store: LocalStore,
    /** Called with a committed batch, in write order, or with the error that failed the batch; and how long the store took. */
    private readonly onCommitted: (writes: Write[], error: Error | undefined, seconds: number) => void
  ) {}

  /** Queues a write for the next commit (it may carry what to do once committed). */
  write (write: Write): void {
    this.batch.add(write)
  }

  /** Commits what is pending now (also used at shutdown). */
  readonly flush = (): void => {
    this.batch.flush()
  }

  private commit (writes: Write[]): void {
    let error: Error | undefined
    const started = performance.now()
    try {
      this.store.append(writes)
    } catch (err) {
      error = err as Error
    }
    this.onCommitted(writes, error, (performance.now() - started) / 1000)
  }
}
