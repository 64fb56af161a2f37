import assert from 'node:assert/strict'
import { inspect } from 'node:util'
import { ChatError } from '@chat/client'

/** How long a single wait may take before the test fails instead of hanging. Generous: CI machines are slow. */
export const WAIT_MS = 10_000

/**
 * Settles like `promise`, or rejects once `ms` passed, naming what was
 * awaited (and `details()`, if given, to say what was seen meanwhile).
 */
export async function within<T> (promise: Promise<T>, what: string, ms = WAIT_MS, details?: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms waiting for ${what}${details !== undefined ? ` (${details()})` : ''}`))
    }, ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Lets time pass. Only for time that must pass on purpose (a heartbeat must
 * expire, nothing may arrive within a while), never to hope that something
 * happened meanwhile: wait for that thing instead (`waitUntil`, a message, an event).
 */
export async function sleep (ms: number): Promise<void> {
  await new Promise(resolve => setTimeout(resolve, ms))
}

/** Polls `condition` until it holds; fails (and stops polling) after `ms`. A condition that throws fails the wait at once. */
export async function waitUntil (condition: () => boolean, what: string | (() => string), ms = WAIT_MS): Promise<void> {
  let gaveUp = false
  try {
    await within((async () => { while (!gaveUp && !condition()) await sleep(5) })(), typeof what === 'string' ? what : 'a condition', ms)
  } catch (err) {
    if (typeof what !== 'string' && err instanceof Error && err.message.startsWith('timed out')) err.message = `timed out after ${ms} ms waiting for ${what()}`
    throw err
  } finally {
    gaveUp = true
  }
}

/** The next `n` items of an iterator; fails if it ends first or takes too long. */
export async function take<T> (iterator: AsyncIterator<T>, n: number, what: string, ms = WAIT_MS): Promise<T[]> {
  const items: T[] = []
  const collect = async (): Promise<T[]> => {
    while (items.length < n) {
      const result = await iterator.next()
      if (result.done === true) throw new Error(`${what}: the iterator ended after ${items.length} of ${n} items`)
      items.push(result.value)
    }
    return items
  }
  return await within(collect(), `${what} (${items.length} of ${n} so far)`, ms).catch(err => {
    if (err instanceof Error && err.message.startsWith('timed out')) {
      err.message = `timed out after ${ms} ms waiting for ${what}: got ${items.length} of ${n}`
    }
    throw err
  })
}

/** Items of an iterator up to and including the first one `last` accepts. */
export async function takeUntil<T> (iterator: AsyncIterator<T>, last: (item: T) => boolean, what: string, ms = WAIT_MS): Promise<T[]> {
  const items: T[] = []
  const collect = async (): Promise<T[]> => {
    while (true) {
      const result = await iterator.next()
      if (result.done === true) throw new Error(`${what}: the iterator ended after ${items.length} items: ${inspect(items.slice(-5))}`)
      items.push(result.value)
      if (last(result.value)) return items
    }
  }
  return await within(collect(), what, ms)
}

/** The iterator's next result, which must be `done`. */
export async function expectDone (iterator: AsyncIterator<unknown>, what: string, ms = WAIT_MS): Promise<void> {
  const result = await within(iterator.next(), what, ms)
  assert.equal(result.done, true, `${what}: expected the iterator to end, got ${inspect(result.value)}`)
}

/** Asserts that `promise` rejects with a `ChatError` of `code`; returns the error. */
export async function rejectsWithCode (promise: Promise<unknown>, code: string, what = `a ChatError ${code}`, ms = WAIT_MS): Promise<ChatError> {
  const outcome = await within(promise.then(
    value => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error })
  ), what, ms)
  if (outcome.ok) assert.fail(`${what}: expected a rejection with code ${code}, it resolved with ${inspect(outcome.value)}`)
  assertChatError(outcome.error, code, what)
  return outcome.error as ChatError
}

/** Asserts that the iterator's next step throws a `ChatError` of `code` (after skipping nothing). */
export async function nextThrows (iterator: AsyncIterator<unknown>, code: string, what: string, ms = WAIT_MS): Promise<ChatError> {
  return await rejectsWithCode(iterator.next(), code, what, ms)
}

export function assertChatError (error: unknown, code: string, what = 'error'): asserts error is ChatError {
  assert.ok(error instanceof ChatError, `${what}: expected a ChatError, got ${inspect(error)}`)
  assert.equal(error.code, code, `${what}: expected code ${code}, got ${error.code} (${error.message})`)
}

/**
 * A round trip on each SDK client: once it returns, everything the server
 * sent them before (presence of earlier joins, say) has been dispatched, so
 * an iterator made afterwards starts clean.
 */
export async function roundTrip (...clients: Array<{ rooms: () => Promise<unknown> }>): Promise<void> {
  await within(Promise.all(clients.map(async c => await c.rooms())), 'a round trip to the server')
}
