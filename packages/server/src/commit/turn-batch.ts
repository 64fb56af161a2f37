/**
 * Gathers what is added during one turn of the event loop and hands it over
 * in one piece, after the turn's I/O callbacks (`setImmediate`): every
 * socket chunk read in the turn joins the batch. The group commits of both
 * engines batch with it.
 */
export class TurnBatch<T> {
  private items: T[] = []
  private scheduled = false

  constructor (private readonly onBatch: (items: T[]) => void) {}

  add (item: T): void {
    this.items.push(item)
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.flush)
    }
  }

  /** Hands over what was added so far, now (at shutdown, before a connection ends). */
  readonly flush = (): void => {
    this.scheduled = false
    if (this.items.length === 0) return
    const items = this.items
    this.items = []
    this.onBatch(items)
  }
}
