/**
 * One bounded piece of a job's work (a page of a replay, one big request, a
 * stretch of a connection's requests). Returns true when the job is
 * finished; a promise to wait for before its next step (the client must
 * read first, a token must come); anything else to be stepped again in a
 * later turn.
 */
export type Step = () => boolean | void | Promise<unknown>

export interface FairSchedulerOptions {
  /** Work done per event-loop turn before the scheduler yields to I/O (ms). Default 4. */
  turnMs?: number
  /** Replay and history pages a connection may read per second (a token bucket holding a second's worth). Default 200. */
  pagesPerSecond?: number
}

interface Job {
  readonly step: Step
  readonly lane: Lane
  /** Counted in the lane's `pending` (a replay, an inbox delivery: work the router does not wait for). */
  readonly background: boolean
  resolve: () => void
  reject: (err: unknown) => void
}

/**
 * A connection's share of the scheduler: its jobs ready to step (taken in
 * turn), how many background jobs it has, and its bucket of page tokens.
 */
export class Lane {
  /** Background jobs not finished (ready or waiting). */
  pending = 0
  /** Jobs ready to step, in turn. */
  readonly ready: Job[] = []
  /** In the scheduler's ring. */
  inRing = false
  private tokens: number
  private refilledAt = performance.now()
  private belowWaiters: Array<{ limit: number, resolve: () => void }> = []

  constructor (private readonly pagesPerSecond: number) {
    this.tokens = pagesPerSecond
  }

  /** Takes a page token: undefined if there was one, else a promise that settles when one is due (take again then). */
  takePage (): Promise<void> | undefined {
    const now = performance.now()
    this.tokens = Math.min(this.pagesPerSecond, this.tokens + (now - this.refilledAt) * this.pagesPerSecond / 1000)
    this.refilledAt = now
    if (this.tokens >= 1) {
      this.tokens--
      return undefined
    }
    const ms = Math.ceil((1 - this.tokens) * 1000 / this.pagesPerSecond)
    return new Promise(resolve => { setTimeout(resolve, ms) })
  }

  /** Settles once fewer than `limit` background jobs are pending. */
  async below (limit: number): Promise<void> {
    if (this.pending < limit) return
    await new Promise<void>(resolve => { this.belowWaiters.push({ limit, resolve }) })
  }

  /** A background job finished. */
  finished (): void {
    this.pending--
    if (this.belowWaiters.length === 0) return
    const waiters = this.belowWaiters
    this.belowWaiters = []
    for (const waiter of waiters) {
      if (this.pending < waiter.limit) waiter.resolve()
      else this.belowWaiters.push(waiter)
    }
  }
}

/**
 * Shares the event loop between connections. Big answers (replays, history
 * pages, room and member lists, the rest of a batch of requests) are jobs
 * cut into bounded steps; each turn the scheduler steps the connections
 * that have work, one step each in turn (and a connection's jobs in turn),
 * until `turnMs` has passed, then yields (`setImmediate`) so that sockets
 * are read and written, commits made and timers run before it goes on. No
 * single request, however big, holds the event loop for more than a step.
 */
export class FairScheduler {
  readonly turnMs: number
  readonly pagesPerSecond: number
  private readonly lanes = new WeakMap<object, Lane>()
  /** Lanes with a job ready, in turn; `head` is the next. */
  private ring: Lane[] = []
  private head = 0
  private scheduled = false

  constructor (options: FairSchedulerOptions = {}) {
    this.turnMs = options.turnMs ?? 4
    this.pagesPerSecond = options.pagesPerSecond ?? 200
  }

  /** The lane of an owner (a connection), made on first use. */
  lane (owner: object): Lane {
    let lane = this.lanes.get(owner)
    if (lane === undefined) {
      lane = new Lane(this.pagesPerSecond)
      this.lanes.set(owner, lane)
    }
    return lane
  }

  /**
   * Runs `step` in the owner's turns until it says it is finished; settles
   * then (rejects with what a step threw). `background`: counted in the
   * lane's `pending` until it finishes. `now`: the first step runs at once,
   * in the caller's turn (a replay's first page goes out with the request's
   * turn, an inbox's right after the welcome).
   */
  async run (owner: object, step: Step, options: { background?: boolean, now?: boolean } = {}): Promise<void> {
    const lane = this.lane(owner)
    const background = options.background === true
    if (background) lane.pending++
    await new Promise<void>((resolve, reject) => {
      const job = { step, lane, background, resolve, reject }
      if (options.now === true) this.step(job)
      else this.ready(job)
    })
  }

  private ready (job: Job): void {
    const lane = job.lane
    lane.ready.push(job)
    if (!lane.inRing) {
      lane.inRing = true
      this.ring.push(lane)
    }
    if (!this.scheduled) {
      this.scheduled = true
      setImmediate(this.turn)
    }
  }

  private readonly turn = (): void => {
    this.scheduled = false
    const deadline = performance.now() + this.turnMs
    while (this.head < this.ring.length) {
      const lane = this.ring[this.head++]
      const job = lane.ready.shift()!
      // The lane's other jobs step after the other lanes'; this one, if it goes on, after them.
      if (lane.ready.length > 0) this.ring.push(lane)
      else lane.inRing = false
      this.step(job)
      if (performance.now() >= deadline) break
    }
    if (this.head === this.ring.length) {
      this.ring = []
      this.head = 0
    } else if (this.head > 1024) {
      this.ring = this.ring.slice(this.head)
      this.head = 0
    }
    if (this.head < this.ring.length && !this.scheduled) {
      this.scheduled = true
      setImmediate(this.turn)
    }
  }

  private step (job: Job): void {
    let result
    try {
      result = job.step()
    } catch (err) {
      this.finish(job)
      job.reject(err)
      return
    }
    if (result === true) {
      this.finish(job)
      job.resolve()
    } else if (result instanceof Promise) {
      result.then(() => { this.ready(job) }, err => {
        this.finish(job)
        job.reject(err)
      })
    } else {
      this.ready(job)
    }
  }

  private finish (job: Job): void {
    if (job.background) job.lane.finished()
  }
}
