import type { ChatMessage } from '@chat/protocol'

/** More than a server sends again on a resume (it remembers 256 per connection). */
const REMEMBERED = 1024

/**
 * The direct messages seen lately, to drop the ones a server sends again
 * when a session resumes (it cannot know which the dead connection
 * delivered). A message is known by its sender, recipient, id and timestamp:
 * a new conversation (a guest's new session) may reuse ids, not timestamps
 * as well.
 */
export class SeenDirect {
  private readonly keys = new Set<string>()

  /** True the first time a message is seen; false for a copy. */
  firstTime (message: ChatMessage): boolean {
    const key = `${message.from}\n${message.to ?? ''}\n${message.id}\n${message.ts}`
    if (this.keys.has(key)) return false
    this.keys.add(key)
    if (this.keys.size > REMEMBERED) this.keys.delete(this.keys.values().next().value as string)
    return true
  }
}
