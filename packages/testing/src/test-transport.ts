import { connect as sdkConnect } from '@chat/client'
import type { ChatClient, ConnectOptions, ServerAddresses } from '@chat/client'
import { testCertificate } from './test-certificate.js'

/** What carries the SDK's connections in an end-to-end test. */
export type TestTransport = 'tcp' | 'ws' | 'tls' | 'wss'
export const TEST_TRANSPORTS: readonly TestTransport[] = ['tcp', 'ws', 'tls', 'wss']

/**
 * The transport the end-to-end tests run over: `CHAT_TEST_TRANSPORT`
 * (`tcp`, `ws`, `tls` or `wss`), `tcp` when unset. `pnpm test` runs the
 * SDK-level files once per transport.
 */
export function testTransport (): TestTransport {
  const value = process.env.CHAT_TEST_TRANSPORT ?? 'tcp'
  if (!(TEST_TRANSPORTS as readonly string[]).includes(value)) {
    throw new Error(`CHAT_TEST_TRANSPORT must be one of ${TEST_TRANSPORTS.join(', ')}, got "${value}"`)
  }
  return value as TestTransport
}

/** Whether this transport is encrypted (the server needs the test certificate, the client trusts it). */
export function isTls (transport: TestTransport): boolean {
  return transport === 'tls' || transport === 'wss'
}

/** `options` plus trust in the test certificate when an address of `url` is `tls://` or `wss://` (and no `tls` was given). */
export function withTestTls<T extends { tls?: ConnectOptions['tls'] }> (url: ServerAddresses, options: T): T {
  // Not a URL: the SDK's connect refuses it itself.
  const schemes = (Array.isArray(url) ? url : [url]).map(u => URL.canParse(String(u)) ? new URL(u).protocol : undefined)
  if (!schemes.some(scheme => scheme === 'tls:' || scheme === 'wss:') || options.tls !== undefined) return options
  return { ...options, tls: { ca: testCertificate().cert } }
}

/** The SDK's `connect` (to one address or several), trusting the test certificate for `tls://` and `wss://` addresses, as an app given its CA would. */
export async function connect (url: ServerAddresses, options: ConnectOptions): Promise<ChatClient> {
  return await sdkConnect(url, withTestTls(url, options))
}
