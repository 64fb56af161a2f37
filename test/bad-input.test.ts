import { test } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame, frameBytes } from '@chat/protocol'
import type { ChatClient } from '@chat/client'
import { createServer } from '@chat/server'
import { Harness, take, varint } from '@chat/testing'
import type { RawClient } from '@chat/testing'
import { tcpPassOnly } from './support/transport-pass.js'

async function assertStillChatting (alice: ChatClient, bob: ChatClient, text: string): Promise<void> {
  const inboxes = [alice.messages(), bob.messages()]
  const ack = await alice.send('general', text)
  for (const [i, inbox] of inboxes.entries()) {
    const [m] = await take(inbox, 1, `${i === 0 ? 'alice' : 'bob'}'s message "${text}"`)
    assert.deepEqual([m.id, m.from, m.text], [ack.id, 'alice', text])
    await inbox.return?.()
  }
}

/** The socket is closed by the server after an error frame with `code` (fatal). */
async function assertRefusedAndClosed (raw: RawClient, codes: string[], what: string): Promise<void> {
  await raw.waitClosed(`the server to close the socket that sent ${what}`)
  const errors = raw.received.filter(m => m.type === 'error')
  assert.equal(errors.length, 1, `${what}: expected one error frame, got ${JSON.stringify(raw.received)}`)
  const [error] = errors
  assert.ok(error.type === 'error')
  assert.ok(codes.includes(error.code), `${what}: got ${error.code}, expected one of ${codes.join(', ')}`)
  assert.equal(error.fatal, true)
}

test('garbage and absurd frame lengths close those sockets only; the server and the room carry on', tcpPassOnly('raw TCP clients'), async t => {
  const h = new Harness(t)
  const { url, port, server } = await h.serve(createServer())
  const [alice, bob] = await h.clientsIn(url, 'general', ['alice', 'bob'])
  await assertStillChatting(alice, bob, 'before')

  // Not our protocol at all: 'G' reads as a 71-byte frame of "ET / HTTP/1.1..." which is not JSON.
  const http = await h.raw(port)
  http.sendRaw(Buffer.from(`GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: ${'x'.repeat(80)}\r\n\r\n`))
  // A length prefix of 1 GiB: refused from the header, before any body is buffered.
  const huge = await h.raw(port)
  huge.sendRaw(varint(1024 * 1024 * 1024))
  // A length prefix that never ends (every byte has its continuation bit set).
  const endless = await h.raw(port)
  endless.sendRaw(Buffer.alloc(16, 0xff))
  // A frame of invalid UTF-8.
  const binary = await h.raw(port)
  binary.sendRaw(frameBytes(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d])))
  // A logged-in member of the room that goes bad mid-conversation.
  const member = await h.raw(port)
  await member.login('mallory')
  await member.join('general')
  member.sendRaw(frameBytes(Buffer.from('{"type":"send","req":9,"room":"general","text":')))

  await assertRefusedAndClosed(http, ['malformed_frame', 'invalid_utf8'], 'HTTP')
  await assertRefusedAndClosed(huge, ['frame_too_large'], 'a 1 GiB length')
  await assertRefusedAndClosed(endless, ['frame_too_large', 'malformed_frame'], 'an endless varint')
  await assertRefusedAndClosed(binary, ['invalid_utf8'], 'invalid UTF-8')
  await assertRefusedAndClosed(member, ['malformed_frame'], 'truncated JSON')

  await assertStillChatting(alice, bob, 'after')
  assert.equal(alice.isClosed, false)
  assert.equal(bob.isClosed, false)
  assert.deepEqual(await alice.members('general'), ['alice', 'bob'])
  assert.equal(server.stats().users, 2)
  // New clients are still welcome.
  const carol = await h.client(url, 'carol')
  await carol.join('general')
  await assertStillChatting(alice, bob, 'and after carol')
})

test('a well-framed but invalid message is refused and the raw connection carries on', tcpPassOnly('raw TCP clients'), async t => {
  const h = new Harness(t)
  const { url, port } = await h.serve(createServer())
  const [alice, bob] = await h.clientsIn(url, 'general', ['alice', 'bob'])
  const raw = await h.raw(port)
  await raw.login('odd')
  const unknown = await raw.request({ type: 'teleport', to: 'mars' })
  assert.deepEqual([unknown.type, unknown.type === 'error' && unknown.code], ['error', 'unknown_type'])
  const invalid = await raw.request({ type: 'join', room: 42 })
  assert.deepEqual([invalid.type, invalid.type === 'error' && invalid.code], ['error', 'invalid_message'])
  raw.sendRaw(encodeFrame({ type: 'ping', n: 7 }))
  await raw.waitFor(m => m.type === 'pong' && m.n === 7, 'the pong to the raw ping')
  await raw.join('general')
  assert.equal(raw.isClosed, false)
  await assertStillChatting(alice, bob, 'unaffected')
})
