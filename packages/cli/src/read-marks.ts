import { ErrorCodes } from '@chat/client'
import type { ChatClient } from '@chat/client'

/** How long printing may go on before what was printed is marked read: one call for a burst of lines. */
export const MARK_AFTER_MS = 300

/**
 * Marks read what the terminal printed, for a registered user: per room or
 * conversation, the newest id shown, a moment after it was (the SDK merges
 * calls on their way too). A guest, or a server without read markers, is
 * left alone: the first refusal of that kind ends the marking.
 */
export class ReadMarks {
  /** By room (`#name`) or conversation (`@name`): the newest id printed and not marked yet. */
  private readonly shownIds = new Map<string, { of: string | { with: string }, id: number }>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private off = false

  constructor (private readonly client: ChatClient) {}

  /** A message of a room (`of` its name) or of a conversation (`{ with }`) was printed. */
  shown (of: string | { with: string }, id: number): void {
    if (this.off || !this.client.registered) return
    const key = typeof of === 'string' ? `#${of}` : `@${of.with}`
    const before = this.shownIds.get(key)
    if (before !== undefined && before.id >= id) return
    this.shownIds.set(key, { of, id })
    this.timer ??= setTimeout(() => { void this.flush() }, MARK_AFTER_MS)
  }

  /** Marks what is left to mark, and stops: the user is leaving. Settles once the server answered (or the client closed). */
  async close (): Promise<void> {
    const marking = this.flush()
    this.off = true
    await marking
  }

  private async flush (): Promise<void> {
    clearTimeout(this.timer)
    this.timer = undefined
    const marks = [...this.shownIds.values()].map(async ({ of, id }) => {
      await this.client.markRead(of, id).catch((err: { code?: string }) => {
        // Not a registered user after all, or a server without markers: there is nothing to keep.
        if (err.code === ErrorCodes.UNKNOWN_TYPE || err.code === ErrorCodes.REGISTRATION_REQUIRED) this.off = true
      })
    })
    this.shownIds.clear()
    await Promise.all(marks)
  }
}
