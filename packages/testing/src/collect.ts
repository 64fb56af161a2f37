import { inspect } from 'node:util'
import type { ChatClient, ChatMessage, StatusEvent } from '@chat/client'
import { waitUntil, within, WAIT_MS } from './wait.js'

/**
 * Drains an async iterator in the background, as an app's `for await` loop
 * would, keeping what it yields and how it ended, so a test can wait for
 * conditions on it without hanging.
 */
export class Collected<T> {
  readonly items: T[] = []
  /** What the iterator threw, if it did. */
  error: unknown
  ended = false
  readonly done: Promise<void>

  constructor (private readonly iterator: AsyncIterableIterator<T>, readonly name: string) {
    this.done = (async () => {
      try {
        for await (const item of iterator) this.items.push(item)
      } catch (err) {
        this.error = err
      } finally {
        this.ended = true
      }
    })()
  }

  /** Waits until `condition` holds; fails at once if the iterator ends or throws first. */
  async until (condition: (items: T[]) => boolean, what: string, ms = WAIT_MS): Promise<void> {
    await waitUntil(() => {
      if (condition(this.items)) return true
      if (this.ended) throw new Error(`${this.name}: the iterator ended (${inspect(this.error)}) while waiting for ${what}; last items: ${inspect(this.items.slice(-3))}`)
      return false
    }, () => `${this.name}: ${what} (${this.items.length} items so far, last ${inspect(this.items.at(-1))})`, ms)
  }

  /** Waits for the iterator to end (or throw). */
  async ending (what = `${this.name} to end`, ms = WAIT_MS): Promise<void> {
    await within(this.done, what, ms)
  }

  /** Ends it as `break` would. */
  async stop (): Promise<void> {
    await within(this.iterator.return!(), `${this.name} to stop`)
    await this.ending()
  }
}

/** A message iterator of an SDK client, collected. */
export function collectMessages (client: ChatClient, filter: Parameters<ChatClient['messages']>[0], name: string): Collected<ChatMessage> {
  return new Collected(client.messages(filter), name)
}

/** Status events of an SDK client, from now on. */
export class StatusLog extends Collected<StatusEvent> {
  constructor (client: ChatClient, name: string) {
    super(client.status(), `${name}'s status`)
  }

  get types (): string[] {
    return this.items.map(e => e.type)
  }

  /** Waits for an event of `type`, seen at or after index `from`; returns it. */
  async next<E extends StatusEvent['type']> (type: E, what = `a ${type} event`, from = 0, ms = WAIT_MS): Promise<Extract<StatusEvent, { type: E }>> {
    let found: StatusEvent | undefined
    await this.until(items => {
      found = items.slice(from).find(e => e.type === type)
      return found !== undefined
    }, what, ms)
    return found as Extract<StatusEvent, { type: E }>
  }
}
