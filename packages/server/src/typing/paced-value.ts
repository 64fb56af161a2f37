/**
 * A value announced at most once per interval. With no announcement in the
 * last interval, a value set goes out at once, even one announced before
 * (a typing refresh: receivers count on them), unless it is the resting
 * value and that was the last one announced. Within the interval, values
 * set only change the state; when the interval is over, the value as it
 * then stands goes out if it differs from the last one announced (trailing
 * edge). Typing states (per user and room or pair) and read receipts (the
 * newest marker per member and room) are paced this way.
 *
 * One timer at most, unref'd (it never keeps a process alive), running only
 * for an interval after each announcement.
 */
export class PacedValue<V> {
  private value: V
  private sent: V
  private timer: NodeJS.Timeout | undefined
  private readonly rest: V

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
    this.rest = rest
    this.value = rest
    this.sent = rest
  }

  set (value: V): void {
    this.value = value
    if (this.timer !== undefined) return // the interval's end decides
    if (value === this.sent && value === this.rest) this.idle(value)
    else this.emit()
  }

  /** Stops the timer: nothing more is announced. */
  close (): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }

  /** The interval after the last announcement is over. */
  private ended (): void {
    this.timer = undefined
    if (this.value === this.sent) this.idle(this.sent)
    else this.emit()
  }

  private emit (): void {
    this.sent = this.value
    this.timer = setTimeout(() => { this.ended() }, this.intervalMs)
    this.timer.unref()
    this.announce(this.value)
  }
}
