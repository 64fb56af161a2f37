import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, tcpTransport } from '../src/index.js'
import { ChatError } from '../src/chat-error.js'
import { transportFor } from '../src/transports.js'

test('tcp: addresses get the TCP transport', () => {
  assert.equal(transportFor(new URL('tcp://127.0.0.1:7777')), tcpTransport)
  assert.equal(transportFor(new URL('TCP://example.com')), tcpTransport)
})

test('a scheme with no transport is refused with connect_failed, naming the supported schemes', () => {
  for (const address of ['ws://127.0.0.1:1', 'wss://chat.example/', 'tls://127.0.0.1:1', 'http://x']) {
    assert.throws(() => transportFor(new URL(address)), (err: unknown) => {
      assert.ok(err instanceof ChatError)
      assert.equal(err.code, 'connect_failed')
      assert.match(err.message, /supported schemes are tcp:\/\//)
      return true
    })
  }
})

test('connect() rejects an unknown scheme before opening anything', async () => {
  await assert.rejects(connect('ws://127.0.0.1:1', { username: 'alice' }), { code: 'connect_failed', message: /tcp:\/\// })
})

test('the transport option overrides the scheme\'s transport, whatever the scheme', async () => {
  const seen: string[] = []
  const transport = async (address: URL): Promise<never> => {
    seen.push(address.href)
    throw new ChatError('connect_failed', 'the app\'s own transport')
  }
  await assert.rejects(connect('ws://127.0.0.1:1/chat', { username: 'alice', transport }), { message: 'the app\'s own transport' })
  assert.deepEqual(seen, ['ws://127.0.0.1:1/chat'])
})
