import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { andThen } from '../src/maybe-promise.js'

describe('andThen', () => {
  it('calls at once for a plain value and returns what the callback returns (no promise)', () => {
    const calls: number[] = []
    const result = andThen(20, value => {
      calls.push(value)
      return value + 1
    })
    assert.deepEqual(calls, [20], 'called before andThen returned')
    assert.equal(result, 21)
    assert.ok(!((result as unknown) instanceof Promise))
    // undefined is a value too.
    assert.equal(andThen<undefined, string>(undefined, value => `got ${String(value)}`), 'got undefined')
  })

  it('for a plain value and a callback returning a promise, returns that promise', async () => {
    const promise = Promise.resolve('later')
    const result = andThen(1, () => promise)
    assert.equal(result, promise)
    assert.equal(await result, 'later')
  })

  it('for a promise, returns a promise of the callback\'s value, calling it only once the promise settles', async () => {
    let resolve!: (value: number) => void
    const pending = new Promise<number>(r => { resolve = r })
    const calls: number[] = []
    const result = andThen(pending, value => {
      calls.push(value)
      return value * 2
    })
    assert.ok(result instanceof Promise)
    assert.deepEqual(calls, [])
    resolve(21)
    assert.equal(await result, 42)
    assert.deepEqual(calls, [21])
  })

  it('for a rejected promise, rejects with its error without calling back; a callback\'s throw on a plain value throws', async () => {
    let called = false
    await assert.rejects(andThen(Promise.reject(new Error('round trip failed')), () => { called = true }) as Promise<void>, /round trip failed/)
    assert.equal(called, false)
    assert.throws(() => andThen(1, () => { throw new Error('sync failure') }), /sync failure/)
  })
})
