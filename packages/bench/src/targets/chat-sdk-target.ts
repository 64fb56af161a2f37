import { BENCH_LIMITS } from './chat-target.js'
import { startServerProcess } from '../server-process.js'
import type { LoadTarget, TargetKind } from '../load/target.js'

/**
 * Our server driven through `@chat/client` (targets/sdk-connection.ts) over
 * tcp://: the same server as the `chat` row, so the gap between the two is
 * what the SDK's real calls cost the load generator.
 */
export function chatSdkTarget (name = 'chat-sdk'): TargetKind {
  return {
    name,
    unavailable: () => undefined,
    start: async () => {
      const server = await startServerProcess(['--auth', 'open', ...BENCH_LIMITS, '--memory'])
      return { name, process: server, endpoint: { protocol: 'chat-sdk', port: server.port }, stop: async () => { await server.stop() } } satisfies LoadTarget
    }
  }
}
