import { ErrorCodes } from '@chat/protocol'
import type { AbortOptions, PullDuplex } from '@chat/transport'
import { ChatError } from './chat-error.js'
import type { TlsOptions } from './options.js'

/** What a transport is told besides the address. */
export interface TransportOptions extends AbortOptions {
  /** For `tls://` and `wss://`: which certificates to trust, and the client's own. */
  tls?: TlsOptions
  /** The client's frame limit (a WebSocket transport sizes its message limit from it). Default 64 KiB. */
  maxFrameBytes?: number
}

/** Opens a connection to a server address; resolves once bytes can flow. The client uses the pull form only. */
export type Transport = (address: URL, options: TransportOptions) => Promise<PullDuplex>

/**
 * The transport for each address scheme: `connect()` picks from its
 * environment's list unless the app passes its own `transport`. Node's
 * (`node-transports.ts`): `tcp:`, `tls:`, `ws:`, `wss:`; a browser's
 * (`browser-transports.ts`): `ws:`, `wss:`, and `tcp:`/`tls:` refused in words.
 */
export type TransportRegistry = ReadonlyMap<string, Transport>

/** The transport for `address`'s scheme; a scheme with none rejects with `connect_failed`, naming those there are. */
export function transportFor (address: URL, transports: TransportRegistry): Transport {
  const transport = transports.get(address.protocol)
  if (transport === undefined) {
    const schemes = [...transports.keys()].map(scheme => `${scheme}//`).join(', ')
    throw new ChatError(ErrorCodes.CONNECT_FAILED, `unsupported address ${address.href}: the supported schemes are ${schemes}`)
  }
  return transport
}
