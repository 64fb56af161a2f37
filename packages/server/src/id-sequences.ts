/**
 * Message ids: one increasing sequence per key (a room, or a pair of users
 * for direct messages). Ids are taken in two steps so that a message refused
 * after its id was drafted leaves no gap.
 */
export class IdSequences {
  private readonly lastIds = new Map<string, number>()

  /** The same key for (a, b) and (b, a). User keys are lower-cased names, which can't contain a space. */
  static conversationKey (userA: string, userB: string): string {
    return userA < userB ? `${userA} ${userB}` : `${userB} ${userA}`
  }

  peekNext (key: string): number {
    return (this.lastIds.get(key) ?? 0) + 1
  }

  commit (key: string, id: number): void {
    this.lastIds.set(key, id)
  }
}
