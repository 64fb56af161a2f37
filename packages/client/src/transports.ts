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

/** The transport for `address`'s scheme; a scheme with none, or one the environment refuses, throws `connect_failed`, saying why. */
export function transportFor (address: URL, transports: TransportRegistry): Transport {
  const transport = transports.get(address.protocol)
  if (transport === undefined) {
    const schemes = [...transports.keys()].filter(scheme => !refusals.has(transports.get(scheme)!)).map(scheme => `${scheme}//`).join(', ')
    throw new ChatError(ErrorCodes.CONNECT_FAILED, `unsupported address ${address.href}: the supported schemes are ${schemes}`)
  }
  const refusal = refusals.get(transport)
  if (refusal !== undefined) throw new ChatError(ErrorCodes.CONNECT_FAILED, refusal)
  return transport
}

/** Transports that only refuse, with their reasons: `connect` refuses their addresses before opening any. */
const refusals = new WeakMap<Transport, string>()

/** A registry entry for a scheme the environment can't open (a browser's `tcp:`): refused in words, up front. */
export function refusedScheme (reason: string): Transport {
  const transport: Transport = async () => { throw new ChatError(ErrorCodes.CONNECT_FAILED, reason) }
  refusals.set(transport, reason)
  return transport
}
