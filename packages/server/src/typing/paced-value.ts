/**
 * A value announced at most once per interval, trailing edge: a change
 * goes out at once if nothing went out in the last interval; otherwise the
 * value as it stands when the interval is over goes out then, if it differs
 * from what went out last (changes in between are never announced on their
 * own). Typing indicators (a state per user and room or pair) and read
 * receipts (the newest marker per member and room) are paced this way.
 *
 * One timer at most, unref'd (it never keeps a process alive), running only
 * for an interval after each announcement.
 */
export class PacedValue<V> {
  private value: V
  private sent: V
  private timer: NodeJS.Timeout | undefined

  /**
   * `rest`: the value taken as announced before anything was (a typing
   * state's `false`). `announce` is called with each value that goes out;
   * `idle` once the interval after the last announcement is over with
   * nothing left to announce (the owner may forget this value then).
   */
  constructor (
    rest: V,
    private readonly intervalMs: number,
    private readonly announce: (value: V) => void,
    private readonly idle: (announced: V) => void
  ) {
    this.value = rest
    this.sent = rest
  }

  /** The value now (perhaps not announced yet). */
  get current (): V {
    return this.value
  }

  /** True while an announcement's interval runs (a change now would wait for its end). */
  get pacing (): boolean {
    return this.timer !== undefined
  }

  set (value: V): void {
    this.value = value
    if (this.timer === undefined) this.flush()
  }

  /** Stops the timer: nothing more is announced. */
  close (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  private flush (): void {
    this.timer = undefined
    if (this.value === this.sent) {
      this.idle(this.sent)
      return
    }
    this.sent = this.value
    this.timer = setTimeout(() => { this.flush() }, this.intervalMs)
    this.timer.unref()
    this.announce(this.value)
  }
}
