import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseLine } from '../src/line-commands.js'

describe('a typed line', () => {
  it('is said where lines go, unless it is a command', () => {
    assert.deepEqual(parseLine('hello there'), { type: 'say', text: 'hello there' })
    assert.deepEqual(parseLine('quit'), { type: 'quit' })
    assert.deepEqual(parseLine('/quit'), { type: 'quit' })
    assert.deepEqual(parseLine('quitting time'), { type: 'say', text: 'quitting time' })
  })

  it('to:<user> sends one direct message, keeping the text as typed', () => {
    assert.deepEqual(parseLine('to:alice hello  you'), { type: 'dm', to: 'alice', text: 'hello  you' })
    assert.deepEqual(parseLine('to:alice'), { type: 'dm', to: 'alice', text: '' })
  })

  it('/to picks a person or a #room; alone, it asks where lines go', () => {
    assert.deepEqual(parseLine('/to bob'), { type: 'to', target: { user: 'bob' } })
    assert.deepEqual(parseLine('/to #general'), { type: 'to', target: { room: 'general' } })
    assert.deepEqual(parseLine('/to'), { type: 'to', target: undefined })
  })

  it('reads the other commands and their arguments', () => {
    assert.deepEqual(parseLine('/dm bob see  you'), { type: 'dm', to: 'bob', text: 'see  you' })
    assert.deepEqual(parseLine('/dm'), { type: 'dm', to: undefined, text: '' })
    assert.deepEqual(parseLine('/r on my way'), { type: 'reply', text: 'on my way' })
    assert.deepEqual(parseLine('/join #dev'), { type: 'join', room: 'dev' })
    assert.deepEqual(parseLine('/JOIN dev'), { type: 'join', room: 'dev' })
    assert.deepEqual(parseLine('/leave'), { type: 'leave', room: undefined })
    assert.deepEqual(parseLine('/members dev'), { type: 'members', room: 'dev' })
    assert.deepEqual(parseLine('/rooms'), { type: 'rooms' })
    assert.deepEqual(parseLine('/history'), { type: 'history', count: undefined, bad: false })
    assert.deepEqual(parseLine('/history 50'), { type: 'history', count: 50, bad: false })
    assert.deepEqual(parseLine('/history lots'), { type: 'history', count: undefined, bad: true })
    assert.deepEqual(parseLine('/history 0'), { type: 'history', count: undefined, bad: true })
    assert.deepEqual(parseLine('/help'), { type: 'help' })
    assert.deepEqual(parseLine('/frobnicate x'), { type: 'unknown', command: '/frobnicate' })
  })
})
