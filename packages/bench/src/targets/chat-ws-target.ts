import { BENCH_LIMITS } from './chat-target.js'
import { startServerProcess } from '../server-process.js'
import type { LoadTarget, TargetKind } from '../load/target.js'

/**
 * Our server over WebSocket: the same frames, in binary messages to `/ws` on
 * its HTTP port (targets/ws-carrier.ts), read and written by the same
 * protocol adapter as the TCP `chat` row.
 */
export function chatWsTarget (): TargetKind {
  return {
    name: 'chat-ws',
    unavailable: () => undefined,
    start: async () => {
      const server = await startServerProcess(['--auth', 'open', ...BENCH_LIMITS, '--memory'], { http: true })
      return {
        name: 'chat-ws',
        process: server,
        endpoint: { protocol: 'chat', carrier: 'ws', port: server.httpPort! },
        stop: async () => { await server.stop() }
      } satisfies LoadTarget
    }
  }
}
