import type { Connection } from '../connection/connection.js'
import type { MaybePromise } from '../maybe-promise.js'
import { FairScheduler } from '../routing/fair-scheduler.js'

/** One paged read, as `drainPages` drives it. */
export interface PagedRead<T> {
  /** The next page; undefined to stop (nothing left, or the read was refused). A store that answers later gives a promise. */
  read: () => MaybePromise<T[] | undefined>
  send: (item: T) => void
  /** After each page: `sent` of its items went out (the connection's queue may have filled first). True when finished. */
  sent: (page: T[], sent: number) => MaybePromise<boolean>
}

export interface DrainOptions {
  /** Whose turns the pages are read in (default: a scheduler of its own). */
  scheduler?: FairScheduler
  /** Each page takes a token of the connection's page rate (replays; an inbox does not). */
  paced?: boolean
}

/**
 * Sends stored items a page at a time, as fast as the client takes them,
 * and fairly: each page is one step of a background job of the connection
 * in the scheduler, so other connections are served between pages however
 * fast this client reads. Items go out only while the connection's queue is
 * below `pauseAt`; after a page the drain waits for the queue to empty
 * before it reads on (from where `sent` says it got), so a read of any size
 * never fills the queue (and never makes the client a slow consumer). Used
 * by replays and offline inboxes. A read (or `sent`) that answers with a
 * promise holds the drain until it settles; a plain answer goes on at once.
 */
export async function drainPages<T> (connection: Connection, pauseAt: number, pages: PagedRead<T>, options: DrainOptions = {}): Promise<void> {
  const scheduler = options.scheduler ?? new FairScheduler()
  const lane = scheduler.lane(connection)
  // A page that came as a promise is sent in the step after it arrived (its token was paid for already).
  let arrived: T[] | undefined
  let finished = false
  const afterPage = (done: boolean): true | Promise<void> | undefined => {
    if (done) {
      finished = true
      return true
    }
    return connection.queuedFrameBytes > 0 ? connection.drained() : undefined
  }
  await scheduler.run(connection, () => {
    if (finished || connection.closing) return true
    let page = arrived
    arrived = undefined
    if (page === undefined) {
      if (options.paced === true) {
        const token = lane.takePage()
        if (token !== undefined) return token
      }
      const read = pages.read()
      if (read instanceof Promise) {
        return read.then(later => {
          if (later === undefined) finished = true
          else arrived = later
        })
      }
      if (read === undefined) return true
      page = read
    }
    let sent = 0
    // Our queue only: the transport's buffer empties only as the client reads, and drained() waits for our queue.
    while (sent < page.length && connection.queuedFrameBytes < pauseAt) pages.send(page[sent++])
    const done = pages.sent(page, sent)
    return done instanceof Promise ? done.then<true | undefined | void>(afterPage) : afterPage(done)
  }, { background: true, now: true })
}
