import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { encodeFrame } from '@chat/protocol'
import { RecentDirect } from '../src/session/recent-direct.js'
import { barrier, makeSession, openLink, quietEvents, serverOptions } from './units.fixture.js'
import type { Link } from './units.fixture.js'

const MAX = 256

/** A frame that says which it is. */
const frame = (n: number): Uint8Array => Uint8Array.of(n & 0xff, (n >> 8) & 0xff)
const numberOf = (f: Uint8Array): number => f[0] + (f[1] << 8)

describe('RecentDirect', () => {
  it('take returns what was remembered, in order, and empties it', () => {
    const recent = new RecentDirect(1_000)
    for (let n = 0; n < 5; n++) recent.remember(frame(n), 100 + n)
    assert.deepEqual(recent.take().map(numberOf), [0, 1, 2, 3, 4])
    assert.deepEqual(recent.take(), [])
    recent.remember(frame(9), 200)
    assert.deepEqual(recent.take().map(numberOf), [9])
  })

  it(`keeps at most ${MAX}: the newest`, () => {
    const recent = new RecentDirect(60_000)
    for (let n = 0; n < 300; n++) recent.remember(frame(n), 1_000)
    const kept = recent.take().map(numberOf)
    assert.equal(kept.length, MAX)
    assert.deepEqual(kept, Array.from({ length: MAX }, (_, i) => 300 - MAX + i))
  })

  it('forgets entries older than the horizon when it remembers a new one (one exactly at the horizon stays)', () => {
    const recent = new RecentDirect(1_000)
    recent.remember(frame(0), 0)
    recent.remember(frame(1), 500)
    recent.remember(frame(2), 1_000) // horizon 0: both stay
    assert.deepEqual(recent.take().map(numberOf), [0, 1, 2])
    recent.remember(frame(0), 0)
    recent.remember(frame(1), 500)
    recent.remember(frame(2), 1_501) // horizon 501: both go
    assert.deepEqual(recent.take().map(numberOf), [2])
  })

  it('after any sequence of remembers, holds exactly the last ones within the horizon of the latest, at most 256, in order', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 5_000 }),
      fc.array(fc.nat({ max: 400 }), { minLength: 1, maxLength: 700 }),
      (horizonMs, gaps) => {
        const recent = new RecentDirect(horizonMs)
        let now = 1_000_000
        const all: Array<{ n: number, at: number }> = []
        gaps.forEach((gap, n) => {
          now += gap
          recent.remember(frame(n), now)
          all.push({ n, at: now })
        })
        const expected = all.filter(e => e.at >= now - horizonMs).slice(-MAX).map(e => e.n & 0xffff)
        assert.deepEqual(recent.take().map(numberOf), expected)
      }
    ), { numRuns: 300 })
  })
})

describe('Session.sendDirect', () => {
  const options = serverOptions()
  const links: Link[] = []
  after(() => { for (const link of links) link.client.destroy() })

  it('sends and remembers each frame; for a connection that is ending, neither', async () => {
    const link = openLink('bob', options, quietEvents)
    links.push(link)
    const bob = makeSession(link.connection, 'bob', options)
    const pong = (n: number): Uint8Array => encodeFrame({ type: 'pong', n })
    bob.sendDirect(pong(1))
    bob.sendDirect(pong(2))
    await barrier(link)
    assert.deepEqual(link.peer.ofType('pong').map(p => p.n), [1, 2])
    assert.deepEqual(bob.takeRecentDirect().map(f => Buffer.from(f)), [Buffer.from(pong(1)), Buffer.from(pong(2))])
    link.connection.end()
    bob.sendDirect(pong(3))
    assert.deepEqual(bob.takeRecentDirect(), [])
    await link.peer.until(() => link.peer.closed, 'the connection to close')
    assert.deepEqual(link.peer.ofType('pong').map(p => p.n), [1, 2])
  })
})
