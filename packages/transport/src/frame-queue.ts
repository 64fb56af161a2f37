import { afterThisTurn } from './next-turn.js'

/** Writes of about this size move the most frames per second on loopback (see DESIGN.md). */
export const DEFAULT_MAX_WRITE_BYTES = 64 * 1024

export interface FrameQueueOptions {
  /** Most bytes held before `push` refuses (the consumer is too far behind). */
  maxQueuedBytes: number
  /** Target size of one coalesced write. */
  maxWriteBytes?: number
  /**
   * When the writer wakes after a push into an empty queue: `turn` (default), at the
   * end of the event-loop turn, so frames pushed by every promise settled in it go
   * out together (clients: many independent calls); `microtask`, right after the
   * current synchronous run (servers, which push a whole batch in one run: a turn
   * later would only add latency); or a scheduler of one's own, called with the writer to run
   * (the server's runs every connection's writer of a synchronous run in one microtask).
   */
  wake?: 'turn' | 'microtask' | ((run: () => void) => void)
  /**
   * Push mode: instead of iterating the queue, the owner is called (when
   * `wake` says) after frames arrive into an empty queue, and calls `take()`
   * until `hasFrames` is false or its socket is full. A suspended iterator
   * costs several promises and generator frames per connection; a server
   * with many idle connections uses this instead.
   */
  writer?: () => void
}

/**
 * A bounded outbound queue of already-framed bytes, iterated by a transport's sink.
 *
 * Pushes never block and never grow memory past `maxQueuedBytes`: past it
 * `push` returns false and the owner decides (the server disconnects a slow
 * consumer). The iterator coalesces whatever is queued into writes of up to
 * `maxWriteBytes`, so a fan-out of many small frames costs few syscalls, and
 * it wakes at the end of the event-loop turn, so everything pushed in one turn of
 * routing goes out together.
 */
export class FrameQueue implements AsyncIterable<Uint8Array> {
  /**
   * Queued frames are `frames[head, tail)`; taken ones are cleared to undefined. The array is
   * kept from write to write: a new one per write (or `length = 0`, which frees its store) was a
   * third of a server's allocations in a fan-out (BENCHMARKS.md).
   */
  private frames: Array<Uint8Array | undefined> = []
  private head = 0
  private tail = 0
  private queuedBytes = 0
  private ended = false
  private wake: (() => void) | undefined
  private drainWaiters: Array<() => void> = []
  private readonly maxQueuedBytes: number
  private readonly maxWriteBytes: number
  private readonly schedule: (wake: () => void) => void
  private readonly writer: (() => void) | undefined
  private writerScheduled = false

  constructor (options: FrameQueueOptions) {
    this.maxQueuedBytes = options.maxQueuedBytes
    this.maxWriteBytes = options.maxWriteBytes ?? DEFAULT_MAX_WRITE_BYTES
    this.schedule = typeof options.wake === 'function' ? options.wake : options.wake === 'microtask' ? queueMicrotask : afterThisTurn
    this.writer = options.writer
  }

  /** Frames are waiting to be taken. */
  get hasFrames (): boolean {
    return this.head < this.tail
  }

  /** Bytes waiting to be handed to the transport. */
  get bytes (): number {
    return this.queuedBytes
  }

  get isEnded (): boolean {
    return this.ended
  }

  /** Queues a frame. False if the queue has ended or the frame would pass the bound (nothing is queued then). */
  push (frame: Uint8Array): boolean {
    if (this.ended || this.queuedBytes + frame.byteLength > this.maxQueuedBytes) return false
    this.frames[this.tail++] = frame
    this.queuedBytes += frame.byteLength
    this.notify()
    return true
  }

  /**
   * No more frames: the iterator finishes once what is queued was written.
   * A `last` frame (a goodbye, an error) is queued first, past the bound:
   * it is one small frame and nothing can follow it.
   */
  end (last?: Uint8Array): void {
    if (this.ended) return
    if (last !== undefined) {
      this.frames[this.tail++] = last
      this.queuedBytes += last.byteLength
    }
    this.ended = true
    // Push mode has no iterator to reach the end: the queue ending is what releases them.
    if (this.writer !== undefined) this.releaseDrainWaiters()
    this.notify()
  }

  /** Drops whatever is queued and not yet taken by the iterator. */
  clear (): void {
    this.frames = []
    this.head = 0
    this.tail = 0
    this.queuedBytes = 0
    this.releaseDrainWaiters()
  }

  /** Resolves once everything queued now has been taken by the transport (or the queue ended). */
  async drained (): Promise<void> {
    if (this.queuedBytes === 0 || this.ended) return
    await new Promise<void>(resolve => { this.drainWaiters.push(resolve) })
  }

  async * [Symbol.asyncIterator] (): AsyncGenerator<Uint8Array> {
    while (true) {
      if (this.head < this.tail) {
        yield this.take()
      } else if (this.ended) {
        this.releaseDrainWaiters()
        return
      } else {
        await new Promise<void>(resolve => { this.wake = resolve })
      }
    }
  }

  private releaseDrainWaiters (): void {
    if (this.drainWaiters.length === 0) return
    const waiters = this.drainWaiters
    this.drainWaiters = []
    for (const resolve of waiters) resolve()
  }

  private notify (): void {
    if (this.writer !== undefined) {
      if (!this.writerScheduled) {
        this.writerScheduled = true
        this.schedule(this.runWriter)
      }
      return
    }
    const wake = this.wake
    if (wake !== undefined) {
      this.wake = undefined
      this.schedule(wake)
    }
  }

  private readonly runWriter = (): void => {
    this.writerScheduled = false
    this.writer!()
  }

  /** Takes queued frames (there must be some: `hasFrames`), up to `maxWriteBytes`, as one buffer. The iterator uses it; push-mode owners call it. */
  take (): Uint8Array {
    const frames = this.frames
    const start = this.head
    const tail = this.tail
    let size = frames[start]!.byteLength
    let end = start + 1
    while (end < tail && size + frames[end]!.byteLength <= this.maxWriteBytes) {
      size += frames[end]!.byteLength
      end++
    }
    let write: Uint8Array
    if (end === start + 1) {
      write = frames[start]!
    } else {
      write = new Uint8Array(size)
      let offset = 0
      for (let i = start; i < end; i++) {
        write.set(frames[i]!, offset)
        offset += frames[i]!.byteLength
      }
    }
    // Taken frames are let go (a commit's buffer is shared by every member: an idle one must not keep it).
    for (let i = start; i < end; i++) frames[i] = undefined
    this.queuedBytes -= size
    if (this.queuedBytes === 0) this.releaseDrainWaiters()
    if (end === tail) {
      this.head = this.tail = 0
    } else if (end > 1024) {
      // A long backlog: drop the written prefix rather than keep its slots.
      this.frames = frames.slice(end, tail)
      this.head = 0
      this.tail = tail - end
    } else {
      this.head = end
    }
    return write
  }

}
