/**
 * A `Store` whose every answer comes a turn later, as a promise (as a store
 * shared between servers answers after a round trip), over a `MemoryStore`.
 * Not a test file. `deferredServer` runs a server on it: the handlers read
 * through the deferred store, the engine (a `LocalEngine`) commits to the
 * memory store under it, as a shared engine commits its own way.
 */
import { LocalEngine } from '../src/engine/local-engine.js'
import { createServer, MemoryStore, StoreError } from '../src/index.js'
import type { ChatServer, ServerOptions } from '../src/index.js'
import type { Account, IdempotencyKey, InboxEntry, LocalStore, MarkerMove, ReadMarker, RetentionPolicy, Store, StoredMessage, StreamKey } from '../src/store/store.js'

export type StoreMethod = Exclude<keyof Store, 'close'>

export class DeferredStore implements Store {
  /** How many answers came as promises: proof the handlers took the asynchronous path. */
  deferred = 0
  /** Methods whose answers reject with a `storage_error` (a store that fails), until taken out. */
  readonly failing = new Set<StoreMethod>()
  private readonly gates = new Map<StoreMethod, { skip: number, reached: () => void, opened: Promise<void> }>()

  constructor (readonly inner: LocalStore) {}

  lastId (stream: StreamKey): Promise<number> { return this.later('lastId', () => this.inner.lastId(stream)) }
  floor (stream: StreamKey): Promise<number> { return this.later('floor', () => this.inner.floor(stream)) }
  readAfter (stream: StreamKey, after: number, limit: number): Promise<StoredMessage[]> { return this.later('readAfter', () => this.inner.readAfter(stream, after, limit)) }
  readBefore (stream: StreamKey, before: number | undefined, limit: number): Promise<StoredMessage[]> { return this.later('readBefore', () => this.inner.readBefore(stream, before, limit)) }
  findByKey (key: IdempotencyKey): Promise<StoredMessage | undefined> { return this.later('findByKey', () => this.inner.findByKey(key)) }
  readInbox (userKey: string, limit: number): Promise<InboxEntry[]> { return this.later('readInbox', () => this.inner.readInbox(userKey, limit)) }
  removeInbox (userKey: string, seq: number): Promise<void> { return this.later('removeInbox', () => { this.inner.removeInbox(userKey, seq) }) }
  getAccount (userKey: string): Promise<Account | undefined> { return this.later('getAccount', () => this.inner.getAccount(userKey)) }
  createAccount (userKey: string, account: Account): Promise<boolean> { return this.later('createAccount', () => this.inner.createAccount(userKey, account)) }
  readMarker (userKey: string, stream: StreamKey): Promise<ReadMarker> { return this.later('readMarker', () => this.inner.readMarker(userKey, stream)) }
  moveReadMarker (userKey: string, stream: StreamKey, id: number): Promise<MarkerMove> { return this.later('moveReadMarker', () => this.inner.moveReadMarker(userKey, stream, id)) }
  prune (policy: RetentionPolicy, now: number): Promise<number> { return this.later('prune', () => this.inner.prune(policy, now)) }
  async close (): Promise<void> { this.inner.close() }

  /**
   * The call of `method` after the next `skip` reads at once but answers only
   * once `open` is called: a read that met the store before a commit did,
   * and whose answer came after it.
   */
  gate (method: StoreMethod, skip = 0): { reached: Promise<void>, open: () => void } {
    let reached!: () => void
    let open!: () => void
    const gate = { skip, reached: () => {}, opened: new Promise<void>(resolve => { open = resolve }) }
    const wasReached = new Promise<void>(resolve => { reached = resolve })
    gate.reached = reached
    this.gates.set(method, gate)
    return { reached: wasReached, open }
  }

  /** The answer, read from the inner store a turn later (what was committed meanwhile is in it), or as a gate says. */
  private async later<T> (method: StoreMethod, answer: () => T): Promise<T> {
    this.deferred++
    const gate = this.gates.get(method)
    if (gate !== undefined && gate.skip-- === 0) {
      this.gates.delete(method)
      const value = answer()
      gate.reached()
      await gate.opened
      return value
    }
    return await new Promise<T>((resolve, reject) => {
      setImmediate(() => {
        if (this.failing.has(method)) reject(new StoreError('storage_error', `${method} failed (injected)`))
        else resolve(answer())
      })
    })
  }
}

/** A server whose handlers read a `DeferredStore` (returned with it); the engine commits to the memory store under it. */
export function deferredServer (options: ServerOptions = {}): { server: ChatServer, store: DeferredStore } {
  const inner = new MemoryStore()
  const store = new DeferredStore(inner)
  // Keys looked up in the store (answered later) before a send is published, as with a store that does not check them at its commit.
  const server = createServer({ ...options, store, engine: context => Object.assign(new LocalEngine(inner, context.rooms, context.delivery, context), { checksKeysAtCommit: false }) })
  return { server, store }
}
