import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { idempotencyKeys } from '../src/index.js'

describe('idempotencyKeys', () => {
  it('makes keys of 24 URL-safe characters, a prefix per source and a counter, each key once', () => {
    const next = idempotencyKeys()
    const keys = Array.from({ length: 10_000 }, () => next())
    assert.equal(new Set(keys).size, keys.length)
    for (const key of keys) assert.match(key, /^[A-Za-z0-9_-]{16}[0-9a-z]{8}$/)
    assert.ok(keys.every(key => key.slice(0, 16) === keys[0].slice(0, 16)))
  })

  it('in the order they are made (they sort as made)', () => {
    const next = idempotencyKeys()
    const keys = Array.from({ length: 5_000 }, () => next())
    assert.deepEqual([...keys].sort(), keys)
  })

  it('two sources share no key (random prefixes)', () => {
    const a = idempotencyKeys()
    const b = idempotencyKeys()
    assert.notEqual(a().slice(0, 16), b().slice(0, 16))
  })

  it('within what the protocol allows (1-128 characters)', () => {
    const key = idempotencyKeys()()
    assert.ok(key.length >= 1 && key.length <= 128)
  })
})
