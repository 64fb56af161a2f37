import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { idempotencyKeys } from '../src/index.js'

const DIGITS = '-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz'
const KEY = /^[-0-9A-Z_a-z]{7}[-0-9A-Z_a-z]{8}[-0-9A-Z_a-z]{2}$/

/** The value of sorted digits. */
function valueOf (digits: string): number {
  let n = 0
  for (const digit of digits) n = n * 64 + DIGITS.indexOf(digit)
  return n
}

describe('idempotencyKeys', () => {
  it('makes keys of 17 URL-safe characters: the time, a prefix per source, a counter; each key once', () => {
    const next = idempotencyKeys()
    const before = Date.now()
    const keys = Array.from({ length: 10_000 }, () => next())
    const after = Date.now()
    assert.equal(new Set(keys).size, keys.length)
    for (const key of keys) {
      assert.match(key, KEY)
      const ms = valueOf(key.slice(0, 7))
      assert.ok(ms >= before && ms <= after + 10_000 / 4096, 'the time it was made')
    }
    assert.ok(keys.every(key => key.slice(7, 15) === keys[0].slice(7, 15)))
  })

  it('in the order they are made (they sort as made), even when the clock is set back', t => {
    const next = idempotencyKeys()
    const keys = Array.from({ length: 2_000 }, () => next())
    let now = Date.now() - 60_000
    t.mock.method(Date, 'now', () => now++)
    keys.push(...Array.from({ length: 2_000 }, () => next()))
    assert.deepEqual([...keys].sort(), keys)
  })

  it('more keys than a millisecond\'s counter holds, in one millisecond: each once, in order, all 17 characters', t => {
    const ms = Date.now()
    t.mock.method(Date, 'now', () => ms)
    const next = idempotencyKeys()
    const keys = Array.from({ length: 10_000 }, () => next())
    assert.equal(new Set(keys).size, keys.length)
    assert.deepEqual([...keys].sort(), keys)
    for (const key of keys) assert.match(key, KEY)
    assert.equal(valueOf(keys[0].slice(0, 7)), ms)
    assert.equal(valueOf(keys[4095].slice(0, 7)), ms, '4,096 keys in the millisecond itself')
    assert.equal(valueOf(keys[4096].slice(0, 7)), ms + 1, 'then the next one')
    assert.equal(valueOf(keys[4096].slice(15)), 0)
  })

  it('two sources share no key (random prefixes); keys of both made later sort after', async () => {
    const a = idempotencyKeys()
    const b = idempotencyKeys()
    const [a1, b1] = [a(), b()]
    assert.notEqual(a1.slice(7, 15), b1.slice(7, 15))
    await new Promise(resolve => setTimeout(resolve, 5))
    const [a2, b2] = [a(), b()]
    assert.ok(a2 > a1 && a2 > b1 && b2 > a1 && b2 > b1)
  })

  it('within what the protocol allows (1-128 characters)', () => {
    const key = idempotencyKeys()()
    assert.ok(key.length >= 1 && key.length <= 128)
  })
})
