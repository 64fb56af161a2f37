import type { Duplex, DuplexEvents } from './duplex.js'
import { DuplexBase } from './duplex-base.js'

export interface DuplexPairOptions {
  /** Bytes a side holds for its peer before `write` returns false. Default 16 KiB, a socket's. */
  highWaterMark?: number
  /** Keep a side's write side open after its peer ended (as a server socket does). Default false: it ends too. */
  allowHalfOpen?: boolean
  /** The `remoteAddress` each side reports (default `memory:<n>`). */
  names?: [string, string]
}

let pairs = 0

/**
 * Two connected in-memory `Duplex`es: what one writes, the other reads. For
 * tests and embedding, with the semantics of a socket: chunks arrive on a
 * later turn (never inside the writer's call), `write` says when the peer
 * holds too much unread, a paused reader slows its writer, `end` is seen
 * after the data before it, and `destroy` closes both sides (the peer
 * still reads what was written before it).
 */
export function duplexPair (options: DuplexPairOptions = {}): [Duplex, Duplex] {
  const n = ++pairs
  const [nameA, nameB] = options.names ?? [`memory:${n}b`, `memory:${n}a`]
  const a = new MemoryDuplex(nameA, options)
  const b = new MemoryDuplex(nameB, options)
  a.peer = b
  b.peer = a
  return [a, b]
}

class MemoryDuplex extends DuplexBase {
  peer!: MemoryDuplex
  readonly closed: Promise<void>
  /** Bytes this side wrote that its peer's reader has not taken yet. */
  writableLength = 0

  private readonly highWaterMark: number
  private readonly allowHalfOpen: boolean
  private events: DuplexEvents | undefined
  /** Chunks the peer wrote, not yet handed to our reader. */
  private inbound: Uint8Array[] = []
  private head = 0
  /** The peer ended (or vanished): once `inbound` is read, our reader sees the end. */
  private inboundEnded = false
  private endDelivered = false
  /** The peer was destroyed: after the end, this side closes too. */
  private peerGone = false
  private writeEnded = false
  private isClosed = false
  private paused = false
  private wantsDrain = false
  private scheduled = false
  private resolveClosed!: () => void

  constructor (readonly remoteAddress: string, options: DuplexPairOptions) {
    super()
    this.highWaterMark = options.highWaterMark ?? 16 * 1024
    this.allowHalfOpen = options.allowHalfOpen ?? false
    this.closed = new Promise(resolve => { this.resolveClosed = resolve })
  }

  attach (events: DuplexEvents): void {
    if (this.events !== undefined) throw new Error('this duplex is attached already (the pull form attaches it too)')
    this.events = events
    if (this.isClosed) setImmediate(() => { events.onClose() })
    else this.schedule()
  }

  pause (): void {
    this.paused = true
  }

  resume (): void {
    this.paused = false
    this.schedule()
  }

  write (chunk: Uint8Array): boolean {
    // After our end, or to a peer that is gone, bytes go nowhere (a socket would report EPIPE and close).
    if (this.writeEnded || this.isClosed || this.peer.isClosed) return false
    // A socket sends nothing for an empty write.
    if (chunk.byteLength === 0) return this.writableLength < this.highWaterMark
    // A copy, as the wire makes: the writer may hand the same bytes to many connections.
    this.peer.inbound.push(chunk.slice())
    this.writableLength += chunk.byteLength
    this.peer.schedule()
    if (this.writableLength < this.highWaterMark) return true
    this.wantsDrain = true
    return false
  }

  end (): void {
    if (this.writeEnded || this.isClosed) return
    this.writeEnded = true
    this.peer.inboundEnded = true
    this.peer.schedule()
    this.schedule() // we may have seen the peer's end already: then we close
  }

  destroy (): void {
    if (this.isClosed) return
    this.writeEnded = true
    this.inbound = []
    this.head = 0
    this.writableLength = 0
    this.close()
    const peer = this.peer
    peer.inboundEnded = true
    peer.peerGone = true
    peer.schedule()
  }

  private schedule (): void {
    if (this.scheduled || this.isClosed) return
    this.scheduled = true
    setImmediate(() => {
      this.scheduled = false
      this.flush()
    })
  }

  /** Hands what arrived to the reader, then the end, then closes when both directions are done. */
  private flush (): void {
    const events = this.events
    if (events === undefined || this.isClosed) return
    while (this.head < this.inbound.length && !this.paused && !this.isClosed) {
      const chunk = this.inbound[this.head++]
      if (this.head === this.inbound.length) {
        this.inbound = []
        this.head = 0
      }
      this.peer.taken(chunk.byteLength)
      events.onData(chunk)
    }
    if (this.head < this.inbound.length || this.paused || this.isClosed || !this.inboundEnded) return
    if (!this.endDelivered) {
      this.endDelivered = true
      events.onEnd()
      if (!this.allowHalfOpen) this.end()
    }
    if (this.peerGone || this.writeEnded) this.close()
  }

  /** Our peer's reader took bytes we wrote. */
  private taken (bytes: number): void {
    this.writableLength -= bytes
    if (this.wantsDrain && this.writableLength < this.highWaterMark) {
      this.wantsDrain = false
      // No 'drain' once ending, as with a socket.
      if (!this.isClosed && !this.writeEnded) this.events?.onDrain()
    }
  }

  private close (): void {
    if (this.isClosed) return
    this.isClosed = true
    const events = this.events
    // On a later turn, as a socket's 'close': never inside the caller's destroy().
    setImmediate(() => {
      events?.onClose()
      this.resolveClosed()
    })
  }
}
