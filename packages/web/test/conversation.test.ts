import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { ChatMessage } from '@chat/client'
import { Conversation, directKey, roomKey } from '../app/conversation.js'

const msg = (id: number, text = `m${id}`, ts = 1_000 + id): ChatMessage => ({ type: 'msg', id, room: 'general', from: 'bob', text, ts })
const ids = (c: Conversation): number[] => c.messages.map(m => m.id)

describe('a conversation in the page', () => {
  it('keys rooms by name and people by their name in lower case (names are unique case-insensitively)', () => {
    assert.equal(roomKey('general'), '#general')
    assert.equal(directKey('Bob'), '@bob')
    assert.equal(new Conversation(roomKey('dev'), 'dev').kind, 'room')
    assert.equal(new Conversation(directKey('Bob'), 'Bob').kind, 'direct')
  })

  it('holds each message once, in id order, whatever order they come in', () => {
    const c = new Conversation('#general', 'general')
    assert.equal(c.add(msg(3)), true)
    assert.equal(c.add(msg(1)), true)
    assert.equal(c.add(msg(2)), true)
    assert.equal(c.add(msg(3)), false, 'a message seen again (a replay after a reconnect) is dropped')
    assert.deepEqual(ids(c), [1, 2, 3])
    assert.equal(c.oldestId, 1)
  })

  it('tells two messages with one id apart by their time (a later guest of the same name starts again at id 1)', () => {
    const c = new Conversation('@bob', 'bob')
    c.add(msg(1, 'first bob', 100))
    assert.equal(c.add(msg(1, 'second bob', 900)), true)
    assert.deepEqual(c.messages.map(m => m.text), ['first bob', 'second bob'])
  })

  it('merges pages of history with live messages, and knows from each page whether older ones remain', () => {
    const c = new Conversation('#general', 'general')
    assert.equal(c.older, 'unknown')
    c.add(msg(101))
    c.add(msg(102)) // live, while the newest page is being read
    c.addPage({ messages: [99, 100, 101, 102].map(id => msg(id)), next: { before: 99 } })
    assert.deepEqual(ids(c), [99, 100, 101, 102])
    assert.equal(c.older, 'more')
    c.addPage({ messages: [97, 98].map(id => msg(id)) })
    assert.deepEqual(ids(c), [97, 98, 99, 100, 101, 102])
    assert.equal(c.older, 'none')
    assert.equal(c.gone, false)
  })

  it('says when the server removed older messages', () => {
    const c = new Conversation('#general', 'general')
    c.addPage({ messages: [msg(40)], gone: true })
    assert.equal(c.older, 'none')
    assert.equal(c.gone, true)
  })
})
