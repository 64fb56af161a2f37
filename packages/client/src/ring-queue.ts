/** The capacity a queue starts with and shrinks back to (a power of two). */
const INITIAL_CAPACITY = 16
/** A queue that grew past this gives its slots back once it is empty again. */
const KEPT_CAPACITY = 4096

/**
 * A first-in first-out queue in a ring of slots: `push` and `shift` in
 * constant time, with no copying as items go. (An array with a moving head
 * has to be compacted, and an emptied one grows again from nothing: about
 * 40 bytes of garbage per item at the SDK's rates.) It doubles when full and
 * shrinks back once emptied after growing past `KEPT_CAPACITY`.
 */
export class RingQueue<T> {
  private slots: Array<T | undefined> = new Array<T | undefined>(INITIAL_CAPACITY).fill(undefined)
  private head = 0
  private count = 0

  get length (): number {
    return this.count
  }

  push (item: T): void {
    if (this.count === this.slots.length) this.grow()
    this.slots[(this.head + this.count) & (this.slots.length - 1)] = item
    this.count++
  }

  /** The oldest item, removed; undefined when empty. */
  shift (): T | undefined {
    if (this.count === 0) return undefined
    const item = this.slots[this.head]
    this.slots[this.head] = undefined // the queue does not keep what it handed out alive
    this.head = (this.head + 1) & (this.slots.length - 1)
    if (--this.count === 0) this.emptied()
    return item
  }

  /** Every item, oldest first, removed. */
  drain (): T[] {
    const items = new Array<T>(this.count)
    const mask = this.slots.length - 1
    for (let i = 0; i < this.count; i++) {
      const at = (this.head + i) & mask
      items[i] = this.slots[at] as T
      this.slots[at] = undefined
    }
    this.count = 0
    this.emptied()
    return items
  }

  clear (): void {
    this.slots = new Array<T | undefined>(INITIAL_CAPACITY).fill(undefined)
    this.head = 0
    this.count = 0
  }

  private grow (): void {
    const grown = new Array<T | undefined>(this.slots.length * 2).fill(undefined)
    const mask = this.slots.length - 1
    for (let i = 0; i < this.count; i++) grown[i] = this.slots[(this.head + i) & mask]
    this.slots = grown
    this.head = 0
  }

  private emptied (): void {
    this.head = 0
    if (this.slots.length > KEPT_CAPACITY) this.slots = new Array<T | undefined>(INITIAL_CAPACITY).fill(undefined)
  }
}
