import type { Delivery } from '../commit/delivery.js'
import { TurnBatch } from '../commit/turn-batch.js'
import type { NodeDelivery } from '../engine/engine.js'
import type { CommitOutcome, CommitWrite } from './commit-script.js'

export interface CommitStore {
  /** One atomic script per batch: ids given, keys checked, messages stored and published. */
  commit: (writes: readonly CommitWrite[]) => Promise<CommitOutcome[]>
}

/**
 * The group commit of a cluster node: what arrives in one turn goes to
 * Redis as one script call (one round trip per batch, not per message).
 * Batches are pipelined on the one connection, so Redis runs them, and
 * gives ids, in the order they were sent. The senders are acknowledged
 * once Redis replied; room messages reach members (here too) through the
 * room's channel, direct messages to someone here straight away.
 */
export class ClusterCommit {
  private readonly batch = new TurnBatch<Delivery>(deliveries => { this.commit(deliveries) })
  private readonly inFlight = new Set<Promise<void>>()

  constructor (private readonly store: CommitStore, private readonly node: NodeDelivery) {}

  write (delivery: Delivery): void {
    this.batch.add(delivery)
  }

  /** Sends what is waiting now. */
  readonly flush = (): void => {
    this.batch.flush()
  }

  private commit (batch: Delivery[]): void {
    const started = performance.now()
    const done = this.store.commit(batch.map(toWrite)).then(outcomes => {
      const fresh: Delivery[] = []
      for (let i = 0; i < batch.length; i++) {
        const d = batch[i]
        const { id, ts, duplicate } = outcomes[i]
        d.message.id = id
        d.message.ts = ts
        if (duplicate) d.duplicateOf = { id, ts }
        else if (d.target !== undefined) fresh.push(d)
      }
      if (fresh.length > 0) this.node.deliver(fresh)
      this.node.acknowledge(batch, (performance.now() - started) / 1000)
    }, err => {
      this.node.failed(batch, err as Error)
    }).finally(() => { this.inFlight.delete(done) })
    this.inFlight.add(done)
  }

  /** Resolves when every batch sent so far has its answer. */
  async settled (): Promise<void> {
    this.flush()
    await Promise.all([...this.inFlight])
  }
}

function toWrite (d: Delivery): CommitWrite {
  const write: CommitWrite = { message: d.message }
  if (d.inboxFor !== undefined) write.inboxFor = d.inboxFor
  if (d.idempotency !== undefined) write.idempotency = d.idempotency
  if (d.targetNode !== undefined) {
    write.targetNode = d.targetNode
    write.targetKey = d.targetKey
  }
  return write
}
