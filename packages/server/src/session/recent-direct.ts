/** Direct messages a session remembers, at most, for a resume. */
const MAX_RECENT_DIRECT = 256

/**
 * The direct messages handed to a connection lately, oldest first: if its
 * session resumes on a new connection, they are sent again there, since the
 * old one may have been dead already (a half-open socket). A connection
 * silent for the heartbeat timeout is dropped, so what is older than that is
 * no longer in question; the count is bounded too (clients drop what they
 * had by sender, id and timestamp).
 */
export class RecentDirect {
  private entries: Array<{ at: number, frame: Uint8Array }> = []

  /** `horizonMs`: how long a frame stays in question (heartbeat timeout plus interval). */
  constructor (private readonly horizonMs: number) {}

  remember (frame: Uint8Array, now = Date.now()): void {
    const entries = this.entries
    const horizon = now - this.horizonMs
    let stale = 0
    while (stale < entries.length && (entries[stale].at < horizon || entries.length - stale >= MAX_RECENT_DIRECT)) stale++
    if (stale > 0) entries.splice(0, stale)
    entries.push({ at: now, frame })
  }

  /** Everything remembered, in order; forgotten here. */
  take (): Uint8Array[] {
    const frames = this.entries.map(entry => entry.frame)
    this.entries = []
    return frames
  }
}
