import { testTransport } from '@chat/testing'

/**
 * `pnpm test` runs the SDK-level end-to-end files once per transport
 * (`CHAT_TEST_TRANSPORT`, see over-transports.ts). A test that is about raw
 * TCP (raw protocol clients, a TCP proxy that reads frames, local addresses,
 * the CLI), or whose subject the transport can't change and that takes
 * long, runs in the tcp pass only: pass this as its options.
 */
export function tcpPassOnly (why: string): { skip: string | false } {
  return { skip: testTransport() === 'tcp' ? false : `${why}: runs in the tcp pass` }
}
