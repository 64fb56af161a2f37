import type { Connection } from '../connection/connection.js'

/** One paged read, as `drainPages` drives it. */
export interface PagedRead<T> {
  /** The next page; undefined to stop (nothing left, or the read was refused). */
  read: () => T[] | undefined
  send: (item: T) => void
  /** After each page: `sent` of its items went out (the connection's queue may have filled first). True when finished. */
  sent: (page: T[], sent: number) => boolean
}

/**
 * Sends stored items a page at a time, as fast as the client takes them:
 * items go out only while the connection's queue is below `pauseAt`, then
 * the drain waits for the queue to empty before it reads on (from where
 * `sent` says it got), so a read of any size never fills the queue (and
 * never makes the client a slow consumer). Used by replays and offline inboxes.
 */
export async function drainPages<T> (connection: Connection, pauseAt: number, pages: PagedRead<T>): Promise<void> {
  while (!connection.closing) {
    const page = pages.read()
    if (page === undefined) return
    let sent = 0
    // Our queue only: the transport's buffer empties only as the client reads, and drained() waits for our queue.
    while (sent < page.length && connection.queuedFrameBytes < pauseAt) pages.send(page[sent++])
    if (pages.sent(page, sent)) return
    await connection.drained()
  }
}
