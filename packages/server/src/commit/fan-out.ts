import { encodeFrame, ErrorCodes } from '@chat/protocol'
import type { PresenceMessage } from '@chat/protocol'
import type { NodeDelivery, RoomSignal } from '../engine/engine.js'
import type { ResolvedServerOptions } from '../options.js'
import type { HeldMessages, Room, RoomRegistry } from '../rooms/room-registry.js'
import type { Session } from '../session/session.js'
import type { StoredMessage } from '../store/store.js'
import { AckBatch } from './ack-batch.js'
import type { Delivery, Outgoing } from './delivery.js'
import type { IdempotencyKeys } from './idempotency-keys.js'
import { FrameHeads, messageFrames } from './message-frame.js'
import { messageRunFrames } from './message-runs.js'
import { ServerCounters } from '../ops/server-counters.js'
import type { TypingBoard } from '../typing/typing-board.js'

/**
 * Delivery on this server of what the engine committed: a room's messages
 * of a commit are framed once, straight into one buffer, and the same bytes
 * go to every member here (the sender included): no copy per member, one
 * queue entry per member per commit. Acknowledgements follow the messages,
 * so a sender has its own message before its ack.
 */
export class FanOut implements NodeDelivery {
  /** The frame heads of the senders seen lately (their names' bytes), kept from commit to commit. */
  private readonly heads = new FrameHeads()
  /** Set while typing indicators are on: a sender's message ends their typing where it went, after the message. */
  typing: TypingBoard | undefined

  constructor (
    private readonly options: ResolvedServerOptions,
    private readonly rooms: RoomRegistry,
    private readonly keys: IdempotencyKeys,
    private readonly counters: ServerCounters = new ServerCounters()
  ) {}

  committed (batch: Delivery[], commitSeconds?: number): void {
    // A key the engine found stored before: only acknowledged.
    this.deliver(batch.some(d => d.duplicateOf !== undefined) ? batch.filter(d => d.duplicateOf === undefined) : batch)
    this.acknowledge(batch, commitSeconds)
  }

  /** Committed messages to their readers here: a room's to its members, a direct one to its recipient. */
  deliver (batch: readonly Outgoing[]): void {
    const counters = this.counters
    const max = this.options.maxFrameBytes
    // Each room's messages of the batch, in order.
    const roomMessages = new Map<string, Outgoing[]>()
    for (const d of batch) {
      if (d.room !== undefined) {
        let messages = roomMessages.get(d.room)
        if (messages === undefined) roomMessages.set(d.room, messages = [])
        messages.push(d)
      } else if (d.target !== undefined) {
        d.target.sendDirect(messageFrames([d], max, this.heads))
        counters.deliveries++
      }
    }
    for (const [name, messages] of roomMessages) {
      // Its members now, including those who joined while it was being written (they were told a lower lastId).
      const room = this.rooms.get(name)
      if (room === undefined) continue
      // Each framing made once if some member reads it: runs for those that accept them, msg frames for the rest.
      const frames: RoomFrames = { runs: undefined, plain: undefined }
      const framed = (runs: boolean): Uint8Array => runs
        ? frames.runs ??= messageRunFrames(name, messages, max)
        : frames.plain ??= messageFrames(messages, max, this.heads)
      if (room.held === undefined) for (const member of room.members.values()) member.send(framed(member.acceptsRuns))
      else sendOrHold(room, room.held, framed, batch)
      counters.deliveries += room.members.size * messages.length
    }
  }

  /** A commit is stored: its senders (and the retries of its keys) get their acks, after the messages delivered here. */
  acknowledge (batch: readonly Delivery[], commitSeconds?: number): void {
    const counters = this.counters
    counters.commits++
    if (commitSeconds !== undefined) counters.observeCommit(commitSeconds, batch.length)
    const acks = new AckBatch()
    for (const d of batch) {
      acks.expect(d.sender)
      if (d.retries !== undefined) for (const retry of d.retries) acks.expect(retry.sender)
    }
    acks.allocate()
    for (const d of batch) {
      this.keys.settle(d)
      if (d.duplicateOf === undefined) counters.messagesStored++
      const { id, ts } = d.duplicateOf ?? d.message
      // A duplicate's ack is the one a retry gets from the store: without `stored`.
      acks.add(d.sender, d.req, id, ts, d.duplicateOf === undefined && d.inboxFor !== undefined)
      if (d.retries !== undefined) for (const retry of d.retries) acks.add(retry.sender, retry.req, id, ts, false)
      // Its message ended the sender's typing there (the others have the message already). One check while they type nowhere.
      if (d.sender.typing !== undefined && d.duplicateOf === undefined) this.typing?.sent(d)
    }
    acks.send()
  }

  failed (batch: Delivery[], error: Error): void {
    // Loud: nothing of this commit was stored or delivered, and its senders are refused.
    this.counters.commitFailures++
    this.options.logger.error(`storing ${batch.length} message(s) failed, refused with storage_error: ${error.message}`)
    for (const d of batch) {
      this.keys.settle(d)
      for (const { sender, req } of [d, ...d.retries ?? []]) {
        sender.connection.refuse(req, ErrorCodes.STORAGE_ERROR, 'the message could not be stored; it was not delivered')
      }
    }
  }

  presence (name: string, event: PresenceMessage, except?: Session): void {
    const room = this.rooms.get(name)
    if (room === undefined || room.members.size === 0) return
    const frame = encodeFrame(event, this.options.maxFrameBytes)
    for (const member of room.members.values()) if (member !== except) member.send(frame)
  }

  /** Encoded once, the same bytes to each member here but the one it is about. */
  signal (name: string, event: RoomSignal, aboutKey: string): void {
    const room = this.rooms.get(name)
    // A big room is quiet, as for presence: each signal goes to every member, so N typists would cost N² frames.
    if (room === undefined || room.members.size > this.options.presenceLimit) return
    let frame: Uint8Array | undefined
    let told = 0
    for (const member of room.members.values()) {
      if (member.userKey === aboutKey) continue
      member.send(frame ??= encodeFrame(event, this.options.maxFrameBytes))
      told++
    }
    if (event.type === 'typing') this.counters.typingEvents += told
    else this.counters.readReceipts += told
  }

  typingTo (target: Session, user: string, active: boolean): void {
    target.send(encodeFrame({ type: 'typing', to: target.username, user, active }, this.options.maxFrameBytes))
    this.counters.typingEvents++
  }
}

/** A room's messages of a commit, framed each way a member reads them, once. */
interface RoomFrames { runs: Uint8Array | undefined, plain: Uint8Array | undefined }

/** The bytes to each member, but the room's messages of the batch kept, in order, for the members whose replay holds them. */
function sendOrHold (room: Room, held: Map<Session, HeldMessages>, framed: (runs: boolean) => Uint8Array, batch: readonly Outgoing[]): void {
  let messages: StoredMessage[] | undefined
  for (const member of room.members.values()) {
    const hold = held.get(member)
    if (hold === undefined) {
      member.send(framed(member.acceptsRuns))
      continue
    }
    messages ??= batch.filter(d => d.room === room.name).map(d => d.message)
    hold.messages.push(...messages)
  }
}
