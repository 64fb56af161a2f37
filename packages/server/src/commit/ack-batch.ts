import { frameLatin1 } from '@chat/protocol/fast'
import type { Session } from '../session/session.js'

/**
 * The acknowledgements of one commit, gathered per sender: each sender gets
 * all of its acks as one buffer (one allocation and one queue entry per
 * sender per commit, not per message). An ack holds only numbers, so its
 * frames are built as a latin1 string, one character per byte.
 */
export class AckBatch {
  private readonly wires = new Map<Session, string>()

  add (sender: Session, re: number, id: number, ts: number, stored: boolean): void {
    const json = `{"type":"ack","re":${re},"id":${id},"ts":${ts}${stored ? ',"stored":true' : ''}}`
    this.wires.set(sender, (this.wires.get(sender) ?? '') + frameLatin1(json))
  }

  /** Queues each sender's acks, in the order they were added. */
  send (): void {
    for (const [sender, wire] of this.wires) sender.send(Buffer.from(wire, 'latin1'))
  }
}
