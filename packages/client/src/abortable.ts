import { ErrorCodes } from '@chat/protocol'
import { ChatError } from './chat-error.js'

/**
 * Settles like `promise`, unless `signal` aborts first (or already has):
 * then it rejects with a ChatError `aborted`. The work behind `promise` goes
 * on; the caller decides what aborting means.
 */
export async function abortable<T> (promise: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
  if (signal === undefined) return await promise
  const abortError = (): ChatError => new ChatError(ErrorCodes.ABORTED, `${what} was aborted`, { cause: signal.reason })
  if (signal.aborted) {
    promise.catch(() => {}) // no one will await it now
    throw abortError()
  }
  let onAbort!: () => void
  const aborted = new Promise<never>((_resolve, reject) => { onAbort = () => { reject(abortError()) } })
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    return await Promise.race([promise, aborted])
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** Resolves after `ms`, or rejects once `signal` aborts. A timer, not `node:timers/promises`: this runs in browsers too. */
export async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const done = (): void => {
      signal.removeEventListener('abort', aborted)
      resolve()
    }
    const aborted = (): void => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', aborted, { once: true })
  })
}
