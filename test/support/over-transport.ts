import { describe } from 'node:test'
import type { TestTransport } from '@chat/testing'

/**
 * The end-to-end files about what the SDK does over a connection: the ones
 * `pnpm test` runs again over every other transport. Left out: the files
 * of raw protocol clients (bad-input, reconnect-protocol), of child
 * processes (examples), and of the server's account rules (accounts: password
 * hashing and throttling, seconds of CPU and waiting that no transport changes;
 * transports.test.ts logs in with a password over each). Tests inside these files that need raw TCP say so
 * (`tcpPassOnly`).
 */
export const SDK_LEVEL_FILES = [
  'abort-close', 'backpressure', 'direct', 'durability', 'heartbeat', 'lifecycle', 'login',
  'offline-dm', 'ordering', 'presence', 'reconnect-calls', 'reconnect-liveness', 'reconnect-resume',
  'reconnect', 'rooms', 'slow-consumer'
] as const

/**
 * Runs the SDK-level files in this process over `transport`: their tests
 * become subtests of one suite, three at a time (each test has its own
 * servers and ports; most of their time is waiting, so the extra passes
 * add little to the run).
 */
export function overTransport (transport: TestTransport): void {
  process.env.CHAT_TEST_TRANSPORT = transport
  describe(`over ${transport}://`, { concurrency: 3 }, async () => {
    for (const file of SDK_LEVEL_FILES) await import(`../${file}.test.js`)
  })
}
