import { ErrorCodes } from '@chat/protocol'
import { ChatError } from './chat-error.js'

/** What a transport rejects with when its signal aborted the connect. */
export function abortedError (signal: AbortSignal | undefined): ChatError {
  return new ChatError(ErrorCodes.ABORTED, 'connect was aborted', { cause: signal?.reason })
}

/** What a transport rejects with when the server can't be reached: the reason (and its code, as Node names it) in the message. */
export function connectFailed (target: string, err: unknown): ChatError {
  const code = (err as { code?: unknown }).code
  const reason = `${(err as Error).message ?? String(err)}${typeof code === 'string' && !(err as Error).message?.includes(code) ? ` (${code})` : ''}`
  return new ChatError(ErrorCodes.CONNECT_FAILED, `could not connect to ${target}: ${reason}`, { cause: err })
}

/** Refuses an address of another scheme (a transport called directly with the wrong one). */
export function checkScheme (address: URL, schemes: readonly string[], example: string): void {
  if (!schemes.includes(address.protocol)) {
    throw new ChatError(ErrorCodes.CONNECT_FAILED, `unsupported address ${address.href}: use ${example}`)
  }
}

// A function, so that TypeScript does not assume the signal stays as it was checked.
export function isAborted (signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true
}

/** The host of a URL, without the brackets of an IPv6 literal. */
export function hostOf (address: URL): string {
  return address.hostname.replace(/^\[(.*)\]$/, '$1')
}
