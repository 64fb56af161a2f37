/**
 * Message ids: one increasing sequence per stream (a room, or a pair of
 * users). Ids are taken in two steps so that a message refused after its id
 * was drafted leaves no gap. A stream's last id is read from the store the
 * first time it is used, so a restart continues where the last run stopped.
 */
export class IdSequences {
  private readonly lastIds = new Map<string, number>()

  constructor (private readonly loadLastId: (stream: string) => number) {}

  peekNext (stream: string): number {
    let last = this.lastIds.get(stream)
    if (last === undefined) {
      last = this.loadLastId(stream)
      this.lastIds.set(stream, last)
    }
    return last + 1
  }

  commit (stream: string, id: number): void {
    this.lastIds.set(stream, id)
  }

  /** Drops what is known of a stream: its next id is read from the store again. */
  forget (stream: string): void {
    this.lastIds.delete(stream)
  }
}
