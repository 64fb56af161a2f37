/**
 * What the server counts as it runs: plain numbers the hot paths bump (no
 * label lookup, no allocation), read when metrics are scraped. A server
 * without metrics pays an addition here and there.
 */
export class ServerCounters {
  bytesIn = 0
  bytesOut = 0
  /** Messages stored (room and direct), and their copies handed to connections here. */
  messagesStored = 0
  deliveries = 0
  commits = 0
  commitFailures = 0
  loginsSucceeded = 0
  loginsFailed = 0
  registrations = 0
  /** Typing events handed to connections here (room members and direct recipients). */
  typingEvents = 0
  /** Read markers moved (up) by requests here, and read receipts handed to connections here. */
  markerMoves = 0
  readReceipts = 0
  readonly connectionsOpened = new Map<string, number>()
  /** Closed connections by why: an error code (`slow_consumer`, `heartbeat_timeout`, ...), `quit` or `disconnected`. */
  readonly connectionsClosed = new Map<string, number>()
  /** Called with each commit's duration and its messages; metrics set it. */
  observeCommit: (seconds: number, messages: number) => void = () => {}

  opened (transport: string): void {
    this.connectionsOpened.set(transport, (this.connectionsOpened.get(transport) ?? 0) + 1)
  }

  closed (reason: string): void {
    this.connectionsClosed.set(reason, (this.connectionsClosed.get(reason) ?? 0) + 1)
  }
}
