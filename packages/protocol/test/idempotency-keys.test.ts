import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { idempotencyKeys } from '../src/index.js'

describe('idempotencyKeys', () => {
  it('makes keys of 31 URL-safe characters: the time, a prefix per source, a counter; each key once', () => {
    const next = idempotencyKeys()
    const before = Date.now()
    const keys = Array.from({ length: 10_000 }, () => next())
    const after = Date.now()
    assert.equal(new Set(keys).size, keys.length)
    for (const key of keys) {
      assert.match(key, /^[0-9a-z]{9}[A-Za-z0-9_-]{16}[0-9a-z]{6}$/)
      const ms = parseInt(key.slice(0, 9), 36)
      assert.ok(ms >= before && ms <= after, 'the time it was made')
    }
    assert.ok(keys.every(key => key.slice(9, 25) === keys[0].slice(9, 25)))
  })

  it('in the order they are made (they sort as made), even when the clock is set back', t => {
    const next = idempotencyKeys()
    const keys = Array.from({ length: 2_000 }, () => next())
    let now = Date.now() - 60_000
    t.mock.method(Date, 'now', () => now++)
    keys.push(...Array.from({ length: 2_000 }, () => next()))
    assert.deepEqual([...keys].sort(), keys)
  })

  it('two sources share no key (random prefixes); keys of both made later sort after', async () => {
    const a = idempotencyKeys()
    const b = idempotencyKeys()
    const [a1, b1] = [a(), b()]
    assert.notEqual(a1.slice(9, 25), b1.slice(9, 25))
    await new Promise(resolve => setTimeout(resolve, 5))
    const [a2, b2] = [a(), b()]
    assert.ok(a2 > a1 && a2 > b1 && b2 > a1 && b2 > b1)
  })

  it('within what the protocol allows (1-128 characters)', () => {
    const key = idempotencyKeys()()
    assert.ok(key.length >= 1 && key.length <= 128)
  })
})
