import type { MarkerMessage, ReadEvent as ReadFrame } from '@chat/protocol'
import type { AbortOptions } from '@chat/transport'
import type { RequestBody } from './call-table.js'
import type { ClientConnection } from './client-connection.js'
import type { ReadEvent, ReadMarker } from './client-types.js'
import { CONVERSATIONS_CHECKED_ON_RESUME, MarkerBook, ReadCoalescer } from './read-markers.js'
import type { MarkerTarget } from './read-markers.js'

/** What the read markers need of the client. */
export interface MarkerIo {
  /** An app call: sent now if connected, else at the reconnect. */
  call: (body: RequestBody, options: AbortOptions) => Promise<MarkerMessage>
  /** A request bound to one connection (never sent again). */
  request: (connection: ClientConnection, body: RequestBody) => Promise<MarkerMessage>
  /** A `read` event for the app's `events()`. */
  deliver: (event: ReadEvent) => void
  /** The name we are logged in under. */
  username: () => string
}

/** A stream's target as the API takes it: a room's name, or `{ with: user }`. */
export function markerTarget (of: string | { with: string }): MarkerTarget {
  return typeof of === 'string' ? { room: of } : { with: of.with }
}

function readMarker (reply: MarkerMessage): ReadMarker {
  return { read: reply.read, unread: reply.unread, lastId: reply.lastId }
}

/**
 * The client's side of read markers (PROTOCOL.md §17): `markRead` calls
 * merged per stream, the markers learned from every reply and event, and,
 * after a reconnect, the ones that moved meanwhile told to the app as `read`
 * events of our own.
 */
export class ClientMarkers {
  private readonly book = new MarkerBook()
  private readonly reads: ReadCoalescer

  constructor (private readonly io: MarkerIo) {
    this.reads = new ReadCoalescer(async (target, id) => this.learnFrom(target, await io.call({ type: 'read', ...target, id }, {})))
  }

  markRead (target: MarkerTarget, id: number): Promise<ReadMarker> {
    return this.reads.mark(target, id)
  }

  async unread (target: MarkerTarget, options: AbortOptions): Promise<ReadMarker> {
    return this.learnFrom(target, await this.io.call({ type: 'unread', ...target }, options))
  }

  /** A room's marker from its `joined`: an app's join learns it, a rejoin after a reconnect tells it if it moved. */
  joined (room: string, read: number | undefined, rejoin: boolean): void {
    if (read === undefined) return
    if (rejoin) this.learnAndTell({ room }, read)
    else this.book.learn({ room }, read)
  }

  /** A `read` event: ours (moved by another connection of ours) is known from now on; the app hears it either way. */
  readEvent (frame: ReadFrame): void {
    const target: MarkerTarget = frame.room !== undefined ? { room: frame.room } : { with: frame.with ?? '' }
    if (frame.user === this.io.username()) this.book.learn(target, frame.id)
    this.io.deliver({ type: 'read', ...target, user: frame.user, id: frame.id })
  }

  /** After a reconnect, the markers of the conversations we know are read again (rooms' come with their rejoin). */
  reconnected (connection: ClientConnection): void {
    for (const user of this.book.conversations(CONVERSATIONS_CHECKED_ON_RESUME)) {
      this.io.request(connection, { type: 'unread', with: user })
        .then(reply => { this.learnAndTell({ with: user }, reply.read) }, () => {})
    }
  }

  private learnFrom (target: MarkerTarget, reply: MarkerMessage): ReadMarker {
    this.book.learn(target, reply.read)
    return readMarker(reply)
  }

  /** A marker of ours learned after a reconnect: if it moved while we were away, the app hears it. */
  private learnAndTell (target: MarkerTarget, read: number): void {
    if (this.book.learn(target, read)) this.io.deliver({ type: 'read', ...target, user: this.io.username(), id: read })
  }
}
