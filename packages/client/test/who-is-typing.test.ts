import { test } from 'node:test'
import assert from 'node:assert/strict'
import { WhoIsTyping } from '../src/who-is-typing.js'

test('who is typing: from a start until a stop, a message, a leave, or the safety net', async t => {
  let changes = 0
  const typing = new WhoIsTyping(() => { changes++ }, 200)
  t.after(() => { typing.close() })
  typing.event({ type: 'typing', room: 'general', user: 'ann', active: true })
  typing.event({ type: 'typing', room: 'general', user: 'ben', active: true })
  typing.event({ type: 'typing', room: 'general', user: 'ann', active: true }) // a refresh: no change
  typing.event({ type: 'typing', to: 'me', user: 'carl', active: true })
  assert.deepEqual(typing.in('general'), ['ann', 'ben'])
  assert.deepEqual(typing.in({ with: 'carl' }), ['carl'])
  assert.deepEqual(typing.in({ with: 'ann' }), [])
  assert.equal(changes, 3)

  typing.message({ room: 'general', from: 'ann' })
  typing.event({ type: 'leave', room: 'general', user: 'ben', reason: 'quit' })
  typing.message({ from: 'carl' })
  assert.deepEqual([typing.in('general'), typing.in({ with: 'carl' })], [[], []])
  assert.equal(changes, 6)

  typing.event({ type: 'typing', room: 'general', user: 'dan', active: true })
  typing.event({ type: 'typing', room: 'general', user: 'dan', active: false })
  typing.event({ type: 'typing', room: 'general', user: 'eve', active: true })
  assert.deepEqual(typing.in('general'), ['eve'])
  const deadline = Date.now() + 5_000
  while (typing.in('general').length > 0 && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 20))
  assert.deepEqual(typing.in('general'), [], 'no refresh: gone after shownMs')

  typing.event({ type: 'typing', room: 'general', user: 'fay', active: true })
  typing.clear()
  assert.deepEqual(typing.in('general'), [])
})
