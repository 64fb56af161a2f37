import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { memberNames, RoomRegistry } from '../src/rooms/room-registry.js'
import type { Session } from '../src/session/session.js'
import { roomStream } from '../src/store/store.js'
import { makeSession, openLink, quietEvents, serverOptions } from './units.fixture.js'
import type { Link } from './units.fixture.js'

const options = serverOptions()
const ROOMS = ['general', 'dev', 'b', 'a.b', 'zz']
const USERS = 5

/** Real connections for the sessions (the registry never writes to them). */
let links: Link[] = []
before(() => { links = Array.from({ length: USERS }, (_, i) => openLink(`u${i}`, options, quietEvents)) })
after(() => { for (const link of links) link.client.destroy() })

/** Fresh sessions (no rooms) on the shared connections. */
function sessions (): Session[] {
  return links.map((link, i) => makeSession(link.connection, `u${i}`, options))
}

type Op =
  | { op: 'join', room: string, who: number }
  | { op: 'leave', room: string, who: number }
  | { op: 'transfer', who: number }
  | { op: 'leave replaced', room: string, who: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('join' as const), room: fc.constantFrom(...ROOMS), who: fc.nat(USERS - 1) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('leave' as const), room: fc.constantFrom(...ROOMS), who: fc.nat(USERS - 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('transfer' as const), who: fc.nat(USERS - 1) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('leave replaced' as const), room: fc.constantFrom(...ROOMS), who: fc.nat(USERS - 1) }) }
)

/**
 * The model: each room's members (users, by number) in join order. A
 * `transfer` (a resume: a new session of the same user) changes nothing
 * here: the new session is in the same rooms, in the same places.
 */
class Model {
  readonly rooms = new Map<string, number[]>()

  join (room: string, who: number): boolean {
    const members = this.rooms.get(room) ?? []
    this.rooms.set(room, members)
    if (members.includes(who)) return false
    members.push(who)
    return true
  }

  leave (room: string, who: number): boolean {
    const members = this.rooms.get(room)
    if (members === undefined || !members.includes(who)) return false
    members.splice(members.indexOf(who), 1)
    if (members.length === 0) this.rooms.delete(room)
    return true
  }

  roomsOf (who: number): Set<string> {
    return new Set([...this.rooms].filter(([, members]) => members.includes(who)).map(([room]) => room))
  }
}

function assertAgrees (registry: RoomRegistry, model: Model, people: Session[], limit: number): void {
  const expectedNames = [...model.rooms.keys()].sort()
  assert.deepEqual(registry.list().map(room => room.name), expectedNames, 'list: the rooms with members, by name')
  for (const name of ROOMS) {
    const room = registry.get(name)
    const members = model.rooms.get(name)
    if (members === undefined) {
      assert.equal(room, undefined, `${name} should be gone`)
      continue
    }
    assert.ok(room !== undefined, `${name} should exist`)
    assert.equal(room.stream, roomStream(name))
    assert.deepEqual([...room.members.values()], members.map(i => people[i]), `${name}: members in join order`)
    assert.deepEqual(memberNames(room, limit), members.slice(0, limit).map(i => `u${i}`))
  }
  people.forEach((session, i) => {
    assert.deepEqual(session.rooms, model.roomsOf(i), `u${i}.rooms agrees with the rooms' member sets`)
  })
}

describe('RoomRegistry', () => {
  it('keeps session.rooms and the rooms\' member sets in agreement over any joins, leaves and transfers', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 60 }), fc.nat(USERS + 1), (ops, limit) => {
      const registry = new RoomRegistry()
      const model = new Model()
      // Each user's current session, and the sessions a transfer replaced.
      const people = sessions()
      const replaced: Session[][] = people.map(() => [])
      for (const op of ops) {
        if (op.op === 'join') {
          const added = model.join(op.room, op.who)
          const result = registry.join(op.room, people[op.who])
          assert.equal(result.added, added)
          assert.equal(result.room, registry.get(op.room))
        } else if (op.op === 'leave') {
          const wasMember = model.leave(op.room, op.who)
          const room = registry.leave(op.room, people[op.who])
          assert.equal(room !== undefined, wasMember, 'leave returns the room only if it was a member')
          if (room !== undefined) assert.equal(room.name, op.room)
        } else if (op.op === 'transfer') {
          const fresh = makeSession(links[op.who].connection, `u${op.who}`, options)
          registry.transfer(people[op.who], fresh)
          assert.deepEqual(people[op.who].rooms, new Set(), 'the replaced session is in no room')
          replaced[op.who].push(people[op.who])
          people[op.who] = fresh
        } else {
          // A replaced session leaving (its connection closing) takes no one out.
          for (const stale of replaced[op.who]) assert.equal(registry.leave(op.room, stale), undefined)
        }
        assertAgrees(registry, model, people, limit)
      }
    }), { numRuns: 300 })
  })

  it('transfer: the replacement (a session of the same user) takes the old session\'s place in each of its rooms; nobody moves', () => {
    const registry = new RoomRegistry()
    const [u0, u1, u2, old] = sessions()
    const fresh = makeSession(links[3].connection, 'u3', options)
    for (const s of [u0, old, u1]) registry.join('general', s)
    registry.join('solo', old)
    registry.join('other', u2)
    const solo = registry.get('solo')
    registry.transfer(old, fresh)
    assert.deepEqual([...registry.get('general')!.members.values()], [u0, fresh, u1], 'in its place: the join order stays')
    assert.deepEqual([...registry.get('other')!.members.values()], [u2], 'rooms the old session was not in are untouched')
    assert.deepEqual([...registry.get('solo')!.members.values()], [fresh])
    assert.equal(registry.get('solo'), solo, 'a room the old session was alone in stays the same room')
    assert.deepEqual(old.rooms, new Set())
    assert.deepEqual(fresh.rooms, new Set(['general', 'solo']))
  })

  it('join adds once, leave of a non-member returns undefined and changes nothing', () => {
    const registry = new RoomRegistry()
    const [u0, u1] = sessions()
    assert.equal(registry.join('general', u0).added, true)
    assert.equal(registry.join('general', u0).added, false)
    assert.equal(registry.get('general')!.members.size, 1)
    assert.equal(registry.leave('general', u1), undefined)
    assert.equal(registry.leave('nowhere', u1), undefined)
    assert.deepEqual(registry.list().map(r => r.name), ['general'])
    const room = registry.leave('general', u0)
    assert.equal(room?.name, 'general')
    assert.equal(room?.members.size, 0)
    assert.equal(registry.get('general'), undefined)
  })

  it('list is sorted by name (code unit order), whatever the order rooms were made in', () => {
    fc.assert(fc.property(fc.uniqueArray(fc.stringMatching(/^[a-z0-9_][a-z0-9_.-]{0,10}$/), { maxLength: 20 }), names => {
      const registry = new RoomRegistry()
      const [u0] = sessions()
      for (const name of names) registry.join(name, u0)
      assert.deepEqual(registry.list().map(r => r.name), [...names].sort())
    }), { numRuns: 200 })
  })
})

describe('memberNames', () => {
  it('names the first members in join order, at most `limit`', () => {
    const registry = new RoomRegistry()
    const people = sessions()
    for (const s of [people[3], people[1], people[4], people[0]]) registry.join('general', s)
    const room = registry.get('general')!
    assert.deepEqual(memberNames(room, 0), [])
    assert.deepEqual(memberNames(room, 1), ['u3'])
    assert.deepEqual(memberNames(room, 3), ['u3', 'u1', 'u4'])
    assert.deepEqual(memberNames(room, 4), ['u3', 'u1', 'u4', 'u0'])
    assert.deepEqual(memberNames(room, 100), ['u3', 'u1', 'u4', 'u0'])
  })
})
