import { decodeClientMessage, encodeFrame, FrameDecoder } from '@chat/protocol'
import type { ClientMessage, ServerMessage } from '@chat/protocol'
import type { Duplex } from '@chat/transport'

/**
 * Just enough of a server to test the harness without @chat/server: it
 * welcomes any hello, answers pings and joins, records what it got, and ends
 * its side when the client ends its own. `script` may answer first.
 */
export class FakeServer {
  readonly received: ClientMessage[] = []
  readonly duplexes: Duplex[] = []
  closed = false
  script: ((message: ClientMessage, reply: (message: ServerMessage) => void, duplex: Duplex) => boolean) | undefined

  accept (duplex: Duplex): void {
    this.duplexes.push(duplex)
    const frames = new FrameDecoder()
    const reply = (message: ServerMessage): void => { duplex.write(encodeFrame(message)) }
    duplex.attach({
      onData: chunk => {
        for (const body of frames.push(chunk)) {
          const message = decodeClientMessage(body)
          this.received.push(message)
          if (this.script?.(message, reply, duplex) === true) continue
          if (message.type === 'hello') {
            reply({ type: 'welcome', v: message.v, re: message.req, username: message.username, heartbeatIntervalMs: 10_000, heartbeatTimeoutMs: 30_000, maxFrameBytes: 65_536, maxTextBytes: 16_384, registered: false, session: 'token-of-16-chars' })
          } else if (message.type === 'ping') {
            reply({ type: 'pong', n: message.n })
          } else if (message.type === 'join') {
            reply({ type: 'joined', re: message.req, room: message.room, members: [], lastId: 0 })
          }
        }
      },
      onEnd: () => { duplex.end() },
      onDrain: () => {},
      onClose: () => {}
    })
  }

  async close (): Promise<void> {
    this.closed = true
    for (const duplex of this.duplexes) duplex.destroy()
  }
}
