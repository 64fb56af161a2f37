import { test } from 'node:test'
import assert from 'node:assert/strict'
import { TYPING_EXPIRY_MS, TYPING_REFRESH_MS, TypingSender, typingKey } from '../src/typing-sender.js'
import type { TypingTarget } from '../src/typing-sender.js'

/** A sender on a clock the test moves, recording what it sends. */
function sender () {
  let now = 1_000_000
  const sent: Array<{ connection: string, target: TypingTarget, active: boolean }> = []
  const typist = new TypingSender<string>((connection, target, active) => { sent.push({ connection, target, active }) }, () => now)
  return { typist, sent, advance: (ms: number) => { now += ms } }
}

test('a keystroke each 100 ms sends active once, then a refresh every 3 s; a stop goes at once, once', () => {
  const { typist, sent, advance } = sender()
  for (let i = 0; i < 70; i++) { // 7 seconds of typing
    typist.update('c1', { room: 'general' }, true)
    advance(100)
  }
  assert.deepEqual(sent.map(s => s.active), [true, true, true])
  typist.update('c1', { room: 'general' }, false)
  typist.update('c1', { room: 'general' }, false)
  assert.deepEqual(sent.map(s => s.active), [true, true, true, false])
  assert.deepEqual(sent[3].target, { room: 'general' })
})

test('a stop is sent only while a start stands: none before any start, none once the server let it lapse', () => {
  const { typist, sent, advance } = sender()
  typist.update('c1', { to: 'bob' }, false)
  assert.equal(sent.length, 0)
  typist.update('c1', { to: 'bob' }, true)
  advance(TYPING_EXPIRY_MS)
  typist.update('c1', { to: 'bob' }, false)
  assert.deepEqual(sent.map(s => s.active), [true])
  // A keystroke after the lapse starts again at once.
  typist.update('c1', { to: 'bob' }, true)
  advance(TYPING_REFRESH_MS - 1)
  typist.update('c1', { to: 'bob' }, true)
  assert.deepEqual(sent.map(s => s.active), [true, true])
})

test('a message sent there is forgotten: the next keystroke starts again; rooms and users are apart', () => {
  const { typist, sent } = sender()
  typist.update('c1', { room: 'ann' }, true)
  typist.update('c1', { to: 'ann' }, true)
  assert.equal(sent.length, 2)
  typist.forget(typingKey({ room: 'ann' }))
  typist.update('c1', { room: 'ann' }, true)
  typist.update('c1', { to: 'ann' }, true)
  assert.deepEqual(sent.map(s => 'room' in s.target ? 'room' : 'user'), ['room', 'user', 'room'])
})

test('a new connection starts afresh; no connection sends nothing; unknown_type silences that connection only', () => {
  const { typist, sent } = sender()
  typist.update(undefined, { room: 'r' }, true)
  assert.equal(sent.length, 0)
  typist.update('c1', { room: 'r' }, true)
  typist.update('c2', { room: 'r' }, true)
  assert.deepEqual(sent.map(s => s.connection), ['c1', 'c2'])
  typist.unsupported('c2')
  typist.update('c2', { room: 'r' }, false)
  typist.update('c2', { room: 'other' }, true)
  assert.equal(sent.length, 2)
  typist.update('c3', { room: 'r' }, true)
  assert.deepEqual(sent.map(s => s.connection), ['c1', 'c2', 'c3'])
})
