import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { encodeFrame, maxWebSocketMessageBytes, PROTOCOL_VERSION } from '@chat/protocol'
import { Harness, waitUntil, within } from '@chat/testing'
import { createServer } from '../src/index.js'
import type { ChatServer, ServerOptions } from '../src/index.js'
import { httpHead, openWebSocket, rawHttp, rawWs, upgradeRequest } from './transport-clients.js'

/** A server listening on TCP and HTTP (port 0 both), closed after the test. */
async function serveHttp (h: Harness, options: ServerOptions = {}): Promise<{ server: ChatServer, httpPort: number, url: string, tcpPort: number }> {
  const served = await h.serve(createServer(options), { transport: 'ws' })
  return { server: served.server, httpPort: served.httpPort!, url: served.url, tcpPort: served.port }
}

describe('the WebSocket endpoint', () => {
  it('speaks the protocol in binary messages: frames split across messages and joined in one are read alike', async t => {
    const h = new Harness(t)
    const { url } = await serveHttp(h)
    const alice = await rawWs(h, url, 'alice')
    // hello cut in three messages, the third carrying the first bytes of the next frame (join).
    const hello = encodeFrame({ type: 'hello', v: PROTOCOL_VERSION, req: 1, username: 'alice' })
    const join = encodeFrame({ type: 'join', req: 2, room: 'general' })
    const stream = Buffer.concat([hello, join])
    for (const [from, to] of [[0, 1], [1, 20], [20, hello.length + 3], [hello.length + 3, stream.length]]) alice.sendRaw(stream.subarray(from, to))
    assert.equal((await alice.next(m => 're' in m && m.re === 1, 'the welcome')).type, 'welcome')
    assert.equal((await alice.next(m => 're' in m && m.re === 2, 'joined')).type, 'joined')
    const bob = await rawWs(h, url, 'bob')
    await bob.login('bob')
    await bob.join('general')
    // Two frames in one message.
    bob.sendRaw(Buffer.concat([encodeFrame({ type: 'send', req: 10, room: 'general', text: 'one' }), encodeFrame({ type: 'send', req: 11, room: 'general', text: 'two' })]))
    const texts = [await alice.nextOfType('msg'), await alice.nextOfType('msg')].map(m => m.text)
    assert.deepEqual(texts, ['one', 'two'])
  })

  it('refuses a plain request on /ws with 426 and a short text, other paths with 404; /ws refusals are counted', async t => {
    const h = new Harness(t)
    const { server, httpPort } = await serveHttp(h)
    const plain = await rawHttp(h, httpPort, 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
    assert.match(plain, /^HTTP\/1\.1 426 Upgrade Required\r\n/)
    assert.match(plain, /\r\nupgrade: websocket\r\n/i)
    assert.match(plain, /\/ws is a WebSocket endpoint/)
    const elsewhere = await rawHttp(h, httpPort, 'GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
    assert.match(elsewhere, /^HTTP\/1\.1 404 Not Found\r\n/)
    const upgradeElsewhere = await rawHttp(h, httpPort, upgradeRequest('/chat'))
    assert.match(upgradeElsewhere, /^HTTP\/1\.1 404 Not Found\r\n/)
    const badVersion = await rawHttp(h, httpPort, upgradeRequest('/ws', { 'Sec-WebSocket-Version': '7' }))
    assert.match(badVersion, /^HTTP\/1\.1 400 Bad Request\r\n/)
    assert.match(badVersion, /Sec-WebSocket-Version/)
    assert.equal(server.transportStats().badUpgrades, 2)
    // A query string does not change the route.
    const withQuery = await rawHttp(h, httpPort, 'GET /ws?x=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n')
    assert.match(withQuery, /^HTTP\/1\.1 426 /)
  })

  it('answers 400 to an HTTP request it can\'t parse, and counts it', async t => {
    const h = new Harness(t)
    const { server, httpPort } = await serveHttp(h)
    const reply = await rawHttp(h, httpPort, 'HELLO\0 there\r\n\r\n')
    assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/)
    assert.equal(server.transportStats().malformedRequests, 1)
  })

  it('origins: none, the server\'s own and the listed ones are let in; any other gets 403 before the upgrade, and is counted', async t => {
    const h = new Harness(t)
    const { server, httpPort, url } = await serveHttp(h, { allowedOrigins: ['https://chat.example.com'] })
    await openWebSocket(h, url) // no Origin: a non-browser client
    await openWebSocket(h, url, { origin: `http://127.0.0.1:${httpPort}` }) // the page the server itself would serve
    await openWebSocket(h, url, { origin: 'https://chat.example.com' })
    for (const origin of ['https://evil.example', `https://127.0.0.1:${httpPort}`, 'http://127.0.0.1:1', 'null', 'https://chat.example.com.evil.example']) {
      await assert.rejects(openWebSocket(h, url, { origin }), /Unexpected server response: 403/, origin)
    }
    assert.equal(server.transportStats().refusedOrigins, 5)
    const refused = await rawHttp(h, httpPort, upgradeRequest('/ws', { Origin: 'https://evil.example' }))
    assert.match(refused, /^HTTP\/1\.1 403 Forbidden\r\n[^]*origin https:\/\/evil\.example is not allowed/)
  })

  it('allowedOrigins * lets any origin in', async t => {
    const h = new Harness(t)
    const { server, url } = await serveHttp(h, { allowedOrigins: ['*'] })
    await openWebSocket(h, url, { origin: 'https://anywhere.example' })
    assert.equal(server.transportStats().refusedOrigins, 0)
  })

  it('a text message closes that connection with 1003 and is counted; other connections do not notice', async t => {
    const h = new Harness(t)
    const { server, url } = await serveHttp(h)
    const alice = await rawWs(h, url, 'alice')
    await alice.login('alice')
    await alice.join('general')
    const ws = await openWebSocket(h, url)
    const closed = once(ws, 'close') as Promise<[number, Buffer]>
    ws.send('{"type":"hello","v":1,"req":1,"username":"texter"}')
    const [code, reason] = await within(closed, 'the close')
    assert.equal(code, 1003)
    assert.match(reason.toString(), /text messages are not accepted/)
    await waitUntil(() => server.transportStats().textMessages === 1, 'the text message to be counted')
    assert.equal((await alice.request({ type: 'send', room: 'general', text: 'still here' })).type, 'ack')
  })

  it('a message over maxWebSocketMessageBytes(maxFrameBytes) closes that connection with 1009 and is counted; one at the limit is read', async t => {
    const h = new Harness(t)
    const maxFrameBytes = 40_000
    const { server, url } = await serveHttp(h, { maxFrameBytes })
    const limit = maxWebSocketMessageBytes(maxFrameBytes)
    assert.equal(limit, 80_010)
    // At the limit: two whole frames of the largest size in one message (pings padded with a field the server ignores).
    const alice = await rawWs(h, url, 'alice')
    await alice.login('alice')
    const frame = (n: number): Uint8Array => {
      const bare = encodeFrame({ type: 'ping', n })
      const body = { type: 'ping', n, pad: 'x'.repeat(maxFrameBytes - (bare.length - 1) - ',"pad":""'.length) }
      return encodeFrame(body as never, maxFrameBytes)
    }
    const message = Buffer.concat([frame(1), frame(2)])
    assert.equal(message.length, 2 * (maxFrameBytes + 3))
    alice.sendRaw(message)
    for (const n of [1, 2]) await alice.nextOfType('pong', m => m.n === n)
    assert.equal(alice.isClosed, false)
    const ws = await openWebSocket(h, url)
    const closed = once(ws, 'close') as Promise<[number, Buffer]>
    ws.send(Buffer.alloc(limit + 1))
    const [code] = await within(closed, 'the close')
    assert.equal(code, 1009)
    await waitUntil(() => server.transportStats().oversizedMessages === 1, 'the oversized message to be counted')
  })

  it('selects no subprotocol, and no compression unless wsCompression', async t => {
    const h = new Harness(t)
    const plain = await serveHttp(h)
    const switched = await httpHead(h, plain.httpPort, upgradeRequest('/ws', { 'Sec-WebSocket-Protocol': 'chat.v1', 'Sec-WebSocket-Extensions': 'permessage-deflate' }))
    assert.match(switched, /^HTTP\/1\.1 101 Switching Protocols\r\n/)
    assert.doesNotMatch(switched, /sec-websocket-protocol/i)
    assert.doesNotMatch(switched, /sec-websocket-extensions/i)
    const compressing = await serveHttp(h, { wsCompression: true })
    const deflating = await openWebSocket(h, compressing.url, { perMessageDeflate: true })
    assert.match(deflating.extensions, /permessage-deflate/)
    const client = await rawWs(h, compressing.url, 'alice', { perMessageDeflate: true })
    assert.equal((await client.login('alice')).type, 'welcome')
  })
})
