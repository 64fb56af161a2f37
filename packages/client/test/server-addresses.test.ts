import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { connect } from '../src/index.js'
import { connect as browserConnect } from '../src/browser.js'
import { ChatError } from '../src/chat-error.js'
import { nodeTransports } from '../src/node-transports.js'
import { serverAddresses, shuffled } from '../src/server-addresses.js'
import type { Transport } from '../src/transports.js'
import { tcpTransport } from '../src/tcp-transport.js'

const hrefs = (addresses: Array<{ url: URL }>): string[] => addresses.map(a => a.url.href)

test('one address, a list, and the servers option give the same addresses, each with its scheme\'s transport', () => {
  const options = { username: 'alice', randomize: false }
  const list = ['tcp://127.0.0.1:7777', new URL('tls://127.0.0.1:7778'), 'ws://127.0.0.1']
  assert.deepEqual(hrefs(serverAddresses(nodeTransports, list, options)), ['tcp://127.0.0.1:7777', 'tls://127.0.0.1:7778', 'ws://127.0.0.1:7780/'])
  assert.deepEqual(serverAddresses(nodeTransports, undefined, { ...options, servers: list }), serverAddresses(nodeTransports, list, options))
  assert.deepEqual(hrefs(serverAddresses(nodeTransports, 'tcp://h:1', options)), ['tcp://h:1'])
  assert.deepEqual(hrefs(serverAddresses(nodeTransports, undefined, { ...options, servers: 'tcp://h:1' })), ['tcp://h:1'])
  assert.equal(serverAddresses(nodeTransports, list, options)[0].transport, tcpTransport)
})

test('the transport option serves every address', () => {
  const transport: Transport = async () => { throw new Error('unused') }
  const addresses = serverAddresses(nodeTransports, ['tcp://a:1', 'ws://b:2/ws'], { username: 'alice', transport })
  assert.ok(addresses.every(a => a.transport === transport))
})

test('randomize (the default) shuffles the list; randomize: false keeps its order', () => {
  const list = ['tcp://a:1', 'tcp://b:1', 'tcp://c:1']
  // Math.random's stand-in: 0 always swaps with the first, so the order is b, c, a.
  assert.deepEqual(hrefs(serverAddresses(nodeTransports, list, { username: 'x' }, () => 0)), ['tcp://b:1', 'tcp://c:1', 'tcp://a:1'])
  assert.deepEqual(hrefs(serverAddresses(nodeTransports, list, { username: 'x', randomize: false }, () => 0)), list)
  // Every order turns up: the shuffle is not biased towards keeping the first.
  const firsts = new Set<string>()
  for (let i = 0; i < 200; i++) firsts.add(shuffled(list)[0])
  assert.equal(firsts.size, 3)
})

test('a URL object given is copied: changing it later does not move the client', () => {
  const url = new URL('tcp://a:1')
  const [address] = serverAddresses(nodeTransports, [url], { username: 'x' })
  url.port = '2'
  assert.equal(address.url.href, 'tcp://a:1')
})

test('no address, an empty list, addresses given both ways, or a list item that is not a string or URL: a TypeError', async () => {
  const cases: Array<[string, () => Promise<unknown>, RegExp]> = [
    ['no address', async () => await connect({ username: 'alice' } as any), /needs a server address/],
    ['undefined', async () => await connect(undefined as any, { username: 'alice' }), /needs a server address/],
    ['an empty list', async () => await connect([], { username: 'alice' }), /list of server addresses is empty/],
    ['an empty servers option', async () => await connect({ servers: [], username: 'alice' }), /list of server addresses is empty/],
    ['both', async () => await connect('tcp://a:1', { servers: ['tcp://b:1'], username: 'alice' }), /not both/],
    ['a number in the list', async () => await connect(['tcp://a:1', 7777 as any], { username: 'alice' }), /server address 1 is a number/],
    ['no options', async () => await (connect as any)('tcp://a:1'), /needs options/]
  ]
  for (const [what, call, message] of cases) await assert.rejects(call(), (err: unknown) => err instanceof TypeError && message.test(err.message), what)
})

test('every address is checked before any is opened, each with the error it gets alone', async () => {
  let connections = 0
  const server = createServer(socket => { connections++; socket.destroy() })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const good = `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`
  try {
    for (const bad of ['not a url', 'http://127.0.0.1:1']) {
      const alone = await connect(bad, { username: 'alice' }).catch((err: unknown) => err) as ChatError
      assert.equal(alone.code, 'connect_failed')
      await assert.rejects(connect([good, bad], { username: 'alice' }), { name: 'ChatError', code: 'connect_failed', message: alone.message })
      await assert.rejects(connect({ servers: [good, bad], username: 'alice' }), { code: 'connect_failed', message: alone.message })
    }
    assert.equal(connections, 0, 'nothing was opened')
  } finally {
    server.close()
  }
})

test('in the browser build, a tcp:// or tls:// address in a list is refused up front, in words, as alone', async () => {
  for (const bad of ['tcp://127.0.0.1:7777', 'tls://127.0.0.1:7777']) {
    const message = /needs Node\.js \(a browser cannot open a raw socket\): connect with ws:\/\/ or wss:\/\//
    await assert.rejects(browserConnect(bad, { username: 'web' }), { code: 'connect_failed', message })
    await assert.rejects(browserConnect(['ws://127.0.0.1:1/ws', bad], { username: 'web' }), { code: 'connect_failed', message })
  }
  await assert.rejects(browserConnect('http://x', { username: 'web' }), { code: 'connect_failed', message: /the supported schemes are ws:\/\/, wss:\/\/$/ })
})
