import type { ChatMessage, HistoryPage } from '@chat/client'

/** A room (`#general`) or a direct conversation (`@bob`, the other person's name in lower case: names are unique case-insensitively). */
export type ConversationKey = `#${string}` | `@${string}`

export const roomKey = (room: string): ConversationKey => `#${room}`
export const directKey = (user: string): ConversationKey => `@${user.toLowerCase()}`

/** A line sent from this page whose acknowledgement has not come yet. */
export interface Pending {
  readonly id: number
  readonly text: string
}

/**
 * What the page holds of one conversation: the messages it has seen, in id
 * order, each once (live, from history pages, or our own direct messages
 * added from their ack), whatever order they came in; whether older ones are
 * still on the server; what is unread and what is being sent.
 */
export class Conversation {
  /** Oldest first. */
  readonly messages: ChatMessage[] = []
  /** Lines being sent, in the order they were typed. */
  readonly pending: Pending[] = []
  /** `unknown` until a page of history was read; `more` while older messages are on the server; `none` at the start. */
  older: 'unknown' | 'more' | 'none' = 'unknown'
  /** The server removed older messages (retention). */
  gone = false
  /** A page of history is being read. */
  loading = false
  /**
   * Unread messages: a registered user's from the server's read marker, then
   * counted as they come; a guest's, those from others that came while
   * another conversation was open (since the page loaded).
   */
  unread = 0
  /** The newest id marked read from this page (or known read), so each is marked once. */
  markedRead = 0
  /** A message's identity within a conversation: its id and time (a later guest of the same name starts a new conversation at id 1). */
  private readonly seen = new Set<string>()

  constructor (readonly key: ConversationKey, readonly name: string) {}

  get kind (): 'room' | 'direct' {
    return this.key.startsWith('#') ? 'room' : 'direct'
  }

  /** The oldest id held (for the next page back), if any. */
  get oldestId (): number | undefined {
    return this.messages[0]?.id
  }

  /** Adds a message unless it is here already; true if it was new. */
  add (msg: ChatMessage): boolean {
    const identity = `${msg.id}:${msg.ts}`
    if (this.seen.has(identity)) return false
    this.seen.add(identity)
    // Nearly always the newest: scan back from the end.
    let at = this.messages.length
    while (at > 0 && before(msg, this.messages[at - 1])) at--
    this.messages.splice(at, 0, msg)
    return true
  }

  /** Adds a page of history: the newest messages, or those before the oldest held. Its `next` says whether older ones remain. */
  addPage (page: HistoryPage): void {
    for (const msg of page.messages) this.add(msg)
    this.older = page.next !== undefined ? 'more' : 'none'
    if (page.gone === true && page.next === undefined) this.gone = true
  }
}

function before (a: ChatMessage, b: ChatMessage): boolean {
  return a.id < b.id || (a.id === b.id && a.ts < b.ts)
}
