import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { afterThisRun } from '../src/connection/after-this-run.js'

describe('afterThisRun', () => {
  it('runs the callbacks of a synchronous run after it, in order, before the next macrotask', async () => {
    const seen: string[] = []
    afterThisRun(() => { seen.push('a') })
    afterThisRun(() => { seen.push('b') })
    seen.push('sync')
    const timer = new Promise<void>(resolve => { setTimeout(() => { seen.push('timeout'); resolve() }, 0) })
    afterThisRun(() => { seen.push('c') })
    await timer
    assert.deepEqual(seen, ['sync', 'a', 'b', 'c', 'timeout'])
  })

  it('a callback queued by a callback runs after the others, in a later microtask', async () => {
    const seen: string[] = []
    afterThisRun(() => {
      seen.push('first')
      afterThisRun(() => { seen.push('queued by first') })
    })
    afterThisRun(() => { seen.push('second') })
    await new Promise(resolve => setTimeout(resolve, 0))
    assert.deepEqual(seen, ['first', 'second', 'queued by first'])
  })

  it('one that throws does not keep the ones after it from running; the error surfaces as uncaught', async () => {
    const seen: string[] = []
    const uncaught: unknown[] = []
    const onUncaught = (err: unknown): void => { uncaught.push(err) }
    // node:test reports uncaught exceptions as failures: take them for this test only.
    const listeners = process.listeners('uncaughtException')
    process.removeAllListeners('uncaughtException')
    process.on('uncaughtException', onUncaught)
    try {
      afterThisRun(() => { seen.push('before') })
      afterThisRun(() => { throw new Error('boom') })
      afterThisRun(() => { seen.push('after') })
      await new Promise(resolve => setTimeout(resolve, 10))
    } finally {
      process.off('uncaughtException', onUncaught)
      for (const listener of listeners) process.on('uncaughtException', listener)
    }
    assert.deepEqual(seen, ['before', 'after'])
    assert.equal((uncaught[0] as Error).message, 'boom')
    // And the next run works as ever.
    afterThisRun(() => { seen.push('next run') })
    await new Promise(resolve => setTimeout(resolve, 0))
    assert.deepEqual(seen, ['before', 'after', 'next run'])
  })
})
