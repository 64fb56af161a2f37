import type { ReadMarker } from './client-types.js'

/** A stream with a read marker: a room, or the conversation with a user. */
export type MarkerTarget = { room: string } | { with: string }

/** A target's key: rooms and users apart (a room and a user may share a name). */
export function markerKey (target: MarkerTarget): string {
  return 'room' in target ? `#${target.room}` : `@${target.with}`
}

/** At most this many conversations' markers are read again after a reconnect (rooms come with their rejoin). */
export const CONVERSATIONS_CHECKED_ON_RESUME = 20

/**
 * The read markers this client learned (from `joined`, marker replies and
 * read events), so that after a reconnect the ones that moved meanwhile (on
 * another device, say) can be told to the app.
 */
export class MarkerBook {
  /** The newest id read, by key; re-set on each learning so the latest touched come last. */
  private readonly known = new Map<string, { target: MarkerTarget, read: number }>()

  /** Learns where a marker stands; true if it moved past what was known (a marker never unknown before). */
  learn (target: MarkerTarget, read: number): boolean {
    const key = markerKey(target)
    const before = this.known.get(key)
    if (before !== undefined && read <= before.read) return false
    this.known.delete(key)
    this.known.set(key, { target, read })
    return before !== undefined
  }

  /** The conversations whose markers it knows, the most lately touched first, at most `limit`. */
  conversations (limit: number): string[] {
    const users: string[] = []
    for (const { target } of [...this.known.values()].reverse()) {
      if ('with' in target) users.push(target.with)
      if (users.length === limit) break
    }
    return users
  }
}

/**
 * `markRead` calls, coalesced per stream: while one is on its way, later
 * ones wait and go as one, with the highest id asked (a UI marks read a lot,
 * and a marker only moves forward). A call whose id the one on its way
 * covers settles with it.
 */
export class ReadCoalescer {
  private readonly flights = new Map<string, Flight>()

  constructor (private readonly write: (target: MarkerTarget, id: number) => Promise<ReadMarker>) {}

  mark (target: MarkerTarget, id: number): Promise<ReadMarker> {
    const key = markerKey(target)
    const flight = this.flights.get(key)
    if (flight === undefined) return this.start(key, target, id)
    if (id <= flight.id) return flight.result
    if (flight.next !== undefined) {
      flight.next.id = Math.max(flight.next.id, id)
      return flight.next.result
    }
    let settle!: Pick<Next, 'resolve' | 'reject'>
    const result = new Promise<ReadMarker>((resolve, reject) => { settle = { resolve, reject } })
    flight.next = { id, result, ...settle }
    return result
  }

  private start (key: string, target: MarkerTarget, id: number): Promise<ReadMarker> {
    const flight: Flight = { id, result: this.write(target, id) }
    this.flights.set(key, flight)
    const then = (): void => {
      this.flights.delete(key)
      const next = flight.next
      if (next !== undefined) this.start(key, target, next.id).then(next.resolve, next.reject)
    }
    flight.result.then(then, then)
    return flight.result
  }
}

interface Next {
  id: number
  result: Promise<ReadMarker>
  resolve: (marker: ReadMarker) => void
  reject: (err: unknown) => void
}

interface Flight {
  id: number
  result: Promise<ReadMarker>
  /** The calls made meanwhile, as one, sent once this one is answered. */
  next?: Next
}
