/**
 * Message ids: one increasing sequence per stream (a room, or a pair of
 * users). A stream's last id is read from the store the first time it is
 * used, so a restart continues where the last run stopped.
 */
export class IdSequences {
  private readonly lastIds = new Map<string, number>()

  constructor (private readonly loadLastId: (stream: string) => number) {}

  /** Takes the stream's next id. */
  next (stream: string): number {
    const id = (this.lastIds.get(stream) ?? this.loadLastId(stream)) + 1
    this.lastIds.set(stream, id)
    return id
  }

  /** Drops what is known of a stream: its next id is read from the store again (after a failed commit). */
  forget (stream: string): void {
    this.lastIds.delete(stream)
  }
}
