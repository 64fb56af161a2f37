import { encodeFrame, ProtocolError } from '@chat/protocol'
import type { ServerMessage } from '@chat/protocol'

/**
 * Encodes a reply that carries a list, with as many entries as fit in one
 * frame: `build(count)` makes the reply with the first (or last) `count`
 * entries, and says in it that the list was cut.
 */
export function encodeFittingReply (total: number, maxFrameBytes: number, build: (count: number) => ServerMessage): Uint8Array {
  let count = total
  while (true) {
    try {
      return encodeFrame(build(count), maxFrameBytes)
    } catch (err) {
      if (!(err instanceof ProtocolError) || count === 0) throw err
      count = Math.floor(count / 2)
    }
  }
}
