import type { MessageWrite, Store } from './store/store.js'

/**
 * Writes messages to the store in groups: everything accepted during one
 * turn of the event loop is committed in one transaction (one sync to disk),
 * and only then handed back for delivery. Durability costs one fsync per
 * batch, not per message, and a message is never seen by anyone before it
 * is on disk.
 */
export class GroupCommitLog<Delivery> {
  private writes: MessageWrite[] = []
  private deliveries: Delivery[] = []
  private scheduled = false

  constructor (
    private readonly store: Store,
    /** Called with a committed batch's deliveries, in write order; or with the error that failed the batch. */
    private readonly onCommitted: (deliveries: Delivery[], error?: Error) => void
  ) {}

  /** Messages waiting for the next commit. */
  get pending (): number {
    return this.writes.length
  }

  write (write: MessageWrite, delivery: Delivery): void {
    this.writes.push(write)
    this.deliveries.push(delivery)
    if (!this.scheduled) {
      this.scheduled = true
      // After the I/O callbacks of this loop turn: every socket chunk read in it joins the batch.
      setImmediate(this.flush)
    }
  }

  /** Commits what is pending now (also used at shutdown). */
  readonly flush = (): void => {
    this.scheduled = false
    if (this.writes.length === 0) return
    const writes = this.writes
    const deliveries = this.deliveries
    this.writes = []
    this.deliveries = []
    let error: Error | undefined
    try {
      this.store.append(writes)
    } catch (err) {
      error = err as Error
    }
    this.onCommitted(deliveries, error)
  }
}
