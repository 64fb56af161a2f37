import { test } from 'node:test'
import assert from 'node:assert/strict'
import { connect, tcpTransport, tlsTransport, wsTransport } from '../src/index.js'
import { ChatError } from '../src/chat-error.js'
import { transportFor } from '../src/transports.js'
import { nodeTransports } from '../src/node-transports.js'
import { withDefaultPort } from '../src/default-ports.js'

test('each scheme gets its transport: tcp:, tls:, ws: and wss:', () => {
  assert.equal(transportFor(new URL('tcp://127.0.0.1:7777'), nodeTransports), tcpTransport)
  assert.equal(transportFor(new URL('TCP://example.com'), nodeTransports), tcpTransport)
  assert.equal(transportFor(new URL('tls://example.com:7777'), nodeTransports), tlsTransport)
  assert.equal(transportFor(new URL('ws://127.0.0.1:7780/ws'), nodeTransports), wsTransport)
  assert.equal(transportFor(new URL('wss://chat.example/ws'), nodeTransports), wsTransport)
})

test('a scheme with no transport is refused with connect_failed, naming the supported schemes', () => {
  for (const address of ['http://x', 'https://chat.example/', 'udp://127.0.0.1:1']) {
    assert.throws(() => transportFor(new URL(address), nodeTransports), (err: unknown) => {
      assert.ok(err instanceof ChatError)
      assert.equal(err.code, 'connect_failed')
      assert.match(err.message, /supported schemes are tcp:\/\/, tls:\/\/, ws:\/\/, wss:\/\//)
      return true
    })
  }
})

test('connect() rejects an unknown scheme before opening anything', async () => {
  await assert.rejects(connect('http://127.0.0.1:1', { username: 'alice' }), { code: 'connect_failed', message: /tcp:\/\// })
})

test('a transport called with another scheme refuses it', async () => {
  await assert.rejects(tlsTransport(new URL('tcp://127.0.0.1:1'), {}), { code: 'connect_failed', message: /use tls:\/\/host:port/ })
  await assert.rejects(wsTransport(new URL('tcp://127.0.0.1:1'), {}), { code: 'connect_failed', message: /use ws:\/\/host:port\/ws/ })
})

test('a refused connection rejects with connect_failed carrying the reason, on every scheme', async () => {
  for (const address of ['tcp://127.0.0.1:1', 'tls://127.0.0.1:1', 'ws://127.0.0.1:1/ws', 'wss://127.0.0.1:1/ws']) {
    await assert.rejects(connect(address, { username: 'alice', reconnect: false }), { code: 'connect_failed', message: /ECONNREFUSED/ }, address)
  }
})

test('the transport option overrides the scheme\'s transport, whatever the scheme', async () => {
  const seen: string[] = []
  const transport = async (address: URL): Promise<never> => {
    seen.push(address.href)
    throw new ChatError('connect_failed', 'the app\'s own transport')
  }
  await assert.rejects(connect('http://127.0.0.1:1/chat', { username: 'alice', transport }), { message: 'the app\'s own transport' })
  assert.deepEqual(seen, ['http://127.0.0.1:1/chat'])
})

test('a ws:// or wss:// address typed without a port gets 7780; a typed :80 or :443 is kept (the URL alone would drop it)', () => {
  const cases: Array<[string, string]> = [
    ['ws://127.0.0.1/ws', 'ws://127.0.0.1:7780/ws'],
    ['wss://chat.example', 'wss://chat.example:7780/'],
    ['WSS://user@chat.example/ws', 'wss://user@chat.example:7780/ws'],
    ['wss://chat.example:443/ws', 'wss://chat.example/ws'],
    ['ws://[::1]:80/ws', 'ws://[::1]/ws'],
    ['ws://[::1]/ws', 'ws://[::1]:7780/ws'],
    ['ws://chat.example:9000/ws', 'ws://chat.example:9000/ws'],
    ['tcp://chat.example', 'tcp://chat.example']
  ]
  for (const [typed, expected] of cases) assert.equal(withDefaultPort(typed, new URL(typed)).href, expected, typed)
})
