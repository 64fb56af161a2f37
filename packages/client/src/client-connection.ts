import { decodeServerMessage, decodeStage, encodeFrame, ErrorCodes, ProtocolError } from '@chat/protocol'
import type { ClientMessage, ServerMessage, WelcomeMessage } from '@chat/protocol'
import { frameRequest } from '@chat/protocol/fast'
import { FrameQueue } from '@chat/transport'
import type { PullDuplex } from '@chat/transport'
import { pipe } from 'it-pipe'
import { ChatError } from './chat-error.js'
import { RatePacer } from './rate-pacer.js'

export interface ConnectionHandler {
  /** Every message decoded from the server, in order. */
  onMessage: (message: ServerMessage) => void
  /** True while the app holds too many undelivered messages: the connection stops reading. */
  mustPause: () => boolean
  /** Reading paused because an iterator is full. */
  onPause: () => void
  /** The connection is over; `reason` says why when the server or the network ended it. */
  onClose: (connection: ClientConnection, reason: ChatError | undefined) => void
}

export interface ClientConnectionOptions {
  maxFrameBytes: number
  maxQueuedBytes: number
  closeTimeoutMs: number
}

/**
 * One transport session: its inbound pipeline (socket chunks -> frames ->
 * typed messages, one pass per chunk), its bounded outbound queue, and
 * liveness. The ChatClient lives on across several of these.
 */
export class ClientConnection {
  private readonly queue: FrameQueue
  /** Why it is ending, if the server or a check of ours decided it. */
  private reason: ChatError | undefined
  /** We said goodbye: the end is not a loss. */
  private closing = false
  private ended = false
  private lastSeen = Date.now()
  private paused = false
  private resumeReading: (() => void) | undefined
  private livenessTimer: NodeJS.Timeout | undefined
  private destroyTimer: NodeJS.Timeout | undefined
  /** Set at login: paces requests by the server's announced rates. */
  private pacer: RatePacer | undefined
  /** Bytes written so far (the server counts them against its byte rate from the start). */
  private sentBytes = 0
  /** Requests to send again after `rate_limited` that the pacer does not take (a `hello`). */
  private readonly retries = new Set<ReturnType<typeof setTimeout>>()

  constructor (
    private readonly duplex: PullDuplex,
    private readonly options: ClientConnectionOptions,
    private readonly handler: ConnectionHandler
  ) {
    this.queue = new FrameQueue({ maxQueuedBytes: options.maxQueuedBytes })
    duplex.sink(this.queue).catch(() => {})
    void this.readLoop()
  }

  get isEnded (): boolean {
    return this.ended
  }

  /** False once either side said goodbye: nothing more can be sent on it. */
  get isWritable (): boolean {
    return !this.ended && !this.queue.isEnded
  }

  /**
   * Encodes and queues a message (once the server's rates allow it, if it
   * announced any: see `pace`); false if the queue is full or closed. Throws
   * a ChatError for a message too large for a frame.
   */
  send (message: ClientMessage): boolean {
    const frame = this.encode(message)
    return this.pacer !== undefined ? this.pacer.send(message, frame) : this.push(frame)
  }

  /**
   * The server refused `message` with `rate_limited`: it is sent again (the
   * same request, its same `req`) after `delayMs`, before anything of its
   * kind made after it.
   */
  resendAfter (message: ClientMessage, delayMs: number): void {
    if (this.ended) return
    const frame = this.encode(message)
    if (this.pacer?.refused(message, frame, delayMs) === true) return
    const timer = setTimeout(() => {
      this.retries.delete(timer)
      if (!this.ended) this.push(frame)
    }, delayMs)
    this.retries.add(timer)
  }

  /** Logged in: from now on requests are paced by the rates the welcome announced. */
  pace (welcome: WelcomeMessage): void {
    this.pacer = new RatePacer(welcome, this.sentBytes, frame => this.push(frame), () => {
      this.abort(new ChatError(ErrorCodes.OUTBOUND_FULL, 'too much is waiting to be sent: the server is not reading'))
    })
  }

  private encode (message: ClientMessage): Uint8Array {
    try {
      // Sends and dms, most of what a client writes: from a template when their strings are plain ASCII (the same bytes).
      return message.type === 'send' || message.type === 'dm' ? frameRequest(message, this.options.maxFrameBytes) : encodeFrame(message, this.options.maxFrameBytes)
    } catch (err) {
      if (err instanceof ProtocolError) throw new ChatError(ErrorCodes.MESSAGE_TOO_LONG, err.message)
      throw err
    }
  }

  /** Queues a frame for the transport, counting its bytes. */
  private push (frame: Uint8Array): boolean {
    this.sentBytes += frame.byteLength
    return this.queue.push(frame)
  }

  /** Queues a frame of our own (a ping, a pong): it counts against the server's byte rate too. */
  private pushOwn (frame: Uint8Array): void {
    this.pacer?.wrote(frame)
    this.push(frame)
  }

  /**
   * Detects a dead server: pings when nothing arrived for `intervalMs`, and
   * gives the connection up when nothing arrived for `timeoutMs` (a half-open
   * socket never errors by itself). Not while paused: then we are the ones not reading.
   */
  watchLiveness (intervalMs: number, timeoutMs: number): void {
    clearInterval(this.livenessTimer)
    let pings = 0
    let lastKeepalive = 0
    // Often enough to notice a drop soon after the server's close timeout while paused; a ping is a few bytes.
    const keepaliveMs = Math.min(intervalMs, 1_000)
    this.livenessTimer = setInterval(() => {
      if (this.ended) return
      const now = Date.now()
      if (this.paused) {
        // We are the ones not reading: say we are alive (see pauseReading).
        if (now - lastKeepalive >= keepaliveMs) {
          lastKeepalive = now
          this.pushOwn(encodeFrame({ type: 'ping', n: 0 }))
        }
        return
      }
      const silentFor = now - this.lastSeen
      if (silentFor > timeoutMs) {
        this.abort(new ChatError(ErrorCodes.HEARTBEAT_TIMEOUT, `nothing heard from the server for ${silentFor} ms`))
      } else if (silentFor >= intervalMs) {
        this.pushOwn(encodeFrame({ type: 'ping', n: ++pings }))
      }
    }, Math.max(10, Math.min(keepaliveMs, Math.floor(timeoutMs / 4))))
    // In Node the watch alone does not keep the process alive; a browser's timers have no unref.
    const timer = this.livenessTimer as { unref?: () => void }
    timer.unref?.()
  }

  /** A clean goodbye: `bye`, then wait for the server to close (cut off after closeTimeoutMs). */
  close (): void {
    if (this.closing || this.ended) return
    this.closing = true
    this.queue.end(encodeFrame({ type: 'bye' }))
    this.destroyTimer = setTimeout(() => { this.duplex.destroy() }, this.options.closeTimeoutMs)
  }

  /** Ends the connection now, dropping anything unwritten, as the app's decision (not a loss: no reconnect). */
  destroy (): void {
    this.closing = true
    this.duplex.destroy()
  }

  /** Ends the connection now, as lost for `reason` (the client may reconnect). */
  abort (reason: ChatError): void {
    this.reason ??= reason
    this.duplex.destroy()
  }

  /** The app made room: read again if paused. */
  readonly onSpace = (): void => {
    const resume = this.resumeReading
    if (resume !== undefined) {
      this.resumeReading = undefined
      resume()
    }
  }

  private async readLoop (): Promise<void> {
    let sourceEnded = false
    try {
      const batches = pipe(this.duplex.source, decodeStage(decodeServerMessage, {
        maxFrameBytes: this.options.maxFrameBytes,
        onChunk: () => { this.lastSeen = Date.now() },
        onEnd: () => { sourceEnded = true }
      }))
      let transportClosed = false
      void this.duplex.closed.then(() => { transportClosed = true; this.onSpace() })
      for await (const batch of batches) {
        for (const item of batch) {
          // A message we can't read (a newer server's type) is skipped: the stream is intact.
          if (!(item instanceof ProtocolError)) this.onMessage(item)
        }
        while (!transportClosed && this.handler.mustPause()) await this.pauseReading()
      }
    } catch (err) {
      if (sourceEnded) {
        // Cut in the middle of a frame: the connection was lost, the data was not bad.
        this.reason ??= new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the connection was lost')
      } else {
        this.reason ??= err instanceof ProtocolError
          ? new ChatError(err.code, `bad data from the server: ${err.message}`)
          : new ChatError(ErrorCodes.CONNECTION_CLOSED, String(err), { cause: err })
      }
    }
    this.finish()
  }

  private onMessage (message: ServerMessage): void {
    switch (message.type) {
      case 'ping':
        if (!this.closing) this.pushOwn(encodeFrame({ type: 'pong', n: message.n }))
        return
      case 'pong':
        return
      case 'bye':
        if (!this.closing) {
          this.reason ??= new ChatError(message.code ?? ErrorCodes.CONNECTION_CLOSED, message.message ?? 'the server said goodbye')
        }
        this.queue.end()
        return
      case 'error':
        if (message.re === undefined && message.fatal === true) this.reason ??= new ChatError(message.code, message.message)
        break
    }
    if ('re' in message && message.re !== undefined) this.pacer?.answered(message.re)
    this.handler.onMessage(message)
  }

  /**
   * Waits until the app makes room. Meanwhile the liveness timer pings the
   * server for us (the pings it can't read go unanswered): the server then
   * drops a paused client only for falling too far behind (`slow_consumer`),
   * and a dropped client learns of it from the failed write.
   */
  private async pauseReading (): Promise<void> {
    this.paused = true
    this.handler.onPause()
    await new Promise<void>(resolve => { this.resumeReading = resolve })
    this.paused = false
    this.lastSeen = Date.now() // the silence was ours
  }

  private finish (): void {
    if (this.ended) return
    this.ended = true
    clearInterval(this.livenessTimer)
    clearTimeout(this.destroyTimer)
    this.pacer?.close()
    for (const timer of this.retries) clearTimeout(timer)
    this.queue.clear()
    this.queue.end()
    this.duplex.destroy()
    this.handler.onClose(this, this.closing ? undefined : (this.reason ?? new ChatError(ErrorCodes.CONNECTION_CLOSED, 'the connection was lost')))
  }
}
