import type { Connection } from '../connection/connection.js'
import { FairScheduler } from '../routing/fair-scheduler.js'

/** One paged read, as `drainPages` drives it. */
export interface PagedRead<T> {
  /** The next page; undefined to stop (nothing left, or the read was refused). */
  read: () => T[] | undefined
  send: (item: T) => void
  /** After each page: `sent` of its items went out (the connection's queue may have filled first). True when finished. */
  sent: (page: T[], sent: number) => boolean
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
 * by replays and offline inboxes.
 */
export async function drainPages<T> (connection: Connection, pauseAt: number, pages: PagedRead<T>, options: DrainOptions = {}): Promise<void> {
  const scheduler = options.scheduler ?? new FairScheduler()
  const lane = scheduler.lane(connection)
  await scheduler.run(connection, () => {
    if (connection.closing) return true
    if (options.paced === true) {
      const token = lane.takePage()
      if (token !== undefined) return token
    }
    const page = pages.read()
    if (page === undefined) return true
    let sent = 0
    // Our queue only: the transport's buffer empties only as the client reads, and drained() waits for our queue.
    while (sent < page.length && connection.queuedFrameBytes < pauseAt) pages.send(page[sent++])
    if (pages.sent(page, sent)) return true
    return connection.queuedFrameBytes > 0 ? connection.drained() : undefined
  }, { background: true, now: true })
}
