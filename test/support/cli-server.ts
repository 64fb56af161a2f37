import { fileURLToPath } from 'node:url'
import type { Harness, ServerProcess } from '@chat/testing'

/** The compiled CLI: test/dist/support/cli-server.js -> packages/server/dist/src/bin.js. */
export const SERVER_BIN = fileURLToPath(new URL('../../../packages/server/dist/src/bin.js', import.meta.url))

/**
 * Starts the real `chat-server` on a data directory of the test (auth open
 * unless `args` says otherwise) and waits for it to listen: on a free port,
 * or on `port` (a restart where a killed server was).
 */
export async function startCliServer (h: Harness, dataDir: string, options: { port?: number, args?: string[] } = {}): Promise<ServerProcess> {
  const args = [SERVER_BIN, '--port', String(options.port ?? 0), '--no-http', '--data', dataDir, '--auth', 'open', ...options.args ?? []]
  return await h.serverProcess(args, { port: options.port })
}
