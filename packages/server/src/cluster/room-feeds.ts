import type { PresenceMessage } from '@chat/protocol'
import type { StoredMessage } from '../store/store.js'

/** What a room's channel carries: committed messages (ids in order), and joins and leaves among them. */
export type FeedItem =
  | { kind: 'messages', messages: StoredMessage[] }
  | { kind: 'presence', event: PresenceMessage, sid?: string }

export interface FeedSink {
  /** Reads stored messages (to fill a gap the channel left). */
  readAfter: (room: string, after: number, limit: number) => Promise<StoredMessage[]>
  messages: (room: string, messages: StoredMessage[]) => void
  presence: (room: string, event: PresenceMessage, sid?: string) => void
  /** A gap that could not be filled (Redis unreachable): the messages went on without it. */
  lost: (room: string, after: number, next: number, error: unknown) => void
}

interface Feed {
  /** The newest id handed on; undefined until the first local join says where the room stands. */
  cursor: number | undefined
  queue: FeedItem[]
  filling: boolean
}

/**
 * Each room's channel, as this server hands it to its members: in id order,
 * never twice, never with a gap. Redis publishes a room's commits and
 * presence in the order it ran them, but a subscription can start after a
 * commit it should have seen (the join's reply and the channel are two
 * connections) or lose messages when its connection drops: a gap is filled
 * from the room's stream before anything after it goes on, and what the
 * cursor passed already is dropped.
 */
export class RoomFeeds {
  private readonly feeds = new Map<string, Feed>()

  constructor (private readonly sink: FeedSink) {}

  has (room: string): boolean {
    return this.feeds.has(room)
  }

  /** Starts collecting a room's channel (before the join that needs it runs): nothing goes on until `start`. */
  open (room: string): void {
    if (!this.feeds.has(room)) this.feeds.set(room, { cursor: undefined, queue: [], filling: false })
  }

  /** The room's newest id as a join read it: what came before it is not news here. */
  start (room: string, lastId: number): void {
    const feed = this.feeds.get(room)
    if (feed === undefined || feed.cursor !== undefined) return
    feed.cursor = lastId
    this.drain(room, feed)
  }

  close (room: string): void {
    this.feeds.delete(room)
  }

  push (room: string, item: FeedItem): void {
    const feed = this.feeds.get(room)
    if (feed === undefined) return
    feed.queue.push(item)
    if (feed.cursor !== undefined && !feed.filling) this.drain(room, feed)
  }

  private drain (room: string, feed: Feed): void {
    while (feed.queue.length > 0 && this.feeds.get(room) === feed) {
      const item = feed.queue[0]
      if (item.kind === 'presence') {
        feed.queue.shift()
        this.sink.presence(room, item.event, item.sid)
        continue
      }
      const cursor = feed.cursor!
      const fresh = item.messages.filter(m => m.id > cursor)
      if (fresh.length > 0 && fresh[0].id > cursor + 1) {
        this.fill(room, feed, cursor, fresh[0].id)
        return
      }
      feed.queue.shift()
      // Consecutive from here (a commit's messages of a room are).
      if (fresh.length === 0) continue
      feed.cursor = fresh[fresh.length - 1].id
      this.sink.messages(room, fresh)
    }
  }

  /** Reads the ids between `cursor` and `next` from the stream, hands them on, then goes on from `next`. */
  private fill (room: string, feed: Feed, cursor: number, next: number): void {
    feed.filling = true
    this.sink.readAfter(room, cursor, next - cursor - 1).then(missing => {
      if (this.feeds.get(room) !== feed) return
      // What the stream has of the gap (retention may have taken some): the stream is the truth.
      const fresh = missing.filter(m => m.id > cursor && m.id < next)
      if (fresh.length > 0) this.sink.messages(room, fresh)
    }, err => {
      this.sink.lost(room, cursor, next, err)
    }).finally(() => {
      feed.cursor = Math.max(feed.cursor ?? 0, next - 1)
      feed.filling = false
      this.drain(room, feed)
    })
  }
}
