import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { WebSocket, WebSocketServer } from 'ws'
import { WsCloseCodes, wsDuplex } from '../src/index.js'
import type { Duplex, DuplexEvents } from '../src/index.js'

// What WsDuplex adds to a WebSocket beyond the compliance suite: binary only, nothing read before attach.

interface Pair { client: WebSocket, server: Duplex, close: () => Promise<void> }

async function pair (): Promise<Pair> {
  const http = createServer()
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  const accepted = once(wss, 'connection') as Promise<[WebSocket]>
  const client = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`, { perMessageDeflate: false })
  await once(client, 'open')
  const [socket] = await accepted
  const server = wsDuplex(socket, 'client')
  return {
    client,
    server,
    close: async () => {
      client.terminate()
      wss.close()
      http.closeAllConnections()
      http.close()
      await once(http, 'close')
    }
  }
}

/** Push-form events, recorded. */
function recorder (): DuplexEvents & { log: string[], bytes: number[], ended: Promise<void> } {
  let ended!: () => void
  const events = {
    log: [] as string[],
    bytes: [] as number[],
    ended: new Promise<void>(resolve => { ended = resolve }),
    onData: (chunk: Uint8Array) => { events.log.push('data'); events.bytes.push(...chunk) },
    onEnd: () => { events.log.push('end') },
    onDrain: () => {},
    onClose: () => { events.log.push('close'); ended() }
  }
  return events
}

describe('WsDuplex', () => {
  it('a text message closes the connection with 1003 and a reason; the binary messages before it are handed on, then the end', async () => {
    const { client, server, close } = await pair()
    try {
      const events = recorder()
      server.attach(events)
      const closing = once(client, 'close') as Promise<[number, Buffer]>
      client.send(new Uint8Array([1, 2, 3]))
      client.send('hello')
      client.send(new Uint8Array([4])) // after the refusal: dropped
      const [code, reason] = await closing
      assert.equal(code, WsCloseCodes.UNSUPPORTED_DATA)
      assert.match(reason.toString(), /text messages are not accepted/)
      await events.ended
      assert.deepEqual(events.bytes, [1, 2, 3])
      assert.deepEqual(events.log, ['data', 'end', 'close'])
      assert.equal(server.write(new Uint8Array([9])), false, 'no writes after the refusal')
    } finally {
      await close()
    }
  })

  it('reads nothing before attach: what arrives meanwhile is handed on after attach, in order, on a later turn', async () => {
    const { client, server, close } = await pair()
    try {
      for (let i = 0; i < 50; i++) client.send(new Uint8Array([i]))
      // Sent (the client holds none of it): it waits on the server's side, unread.
      while (client.bufferedAmount > 0) await new Promise(resolve => setImmediate(resolve))
      const events = recorder()
      server.attach(events)
      assert.deepEqual(events.log, [], 'nothing handed on inside attach()')
      while (events.bytes.length < 50) await new Promise(resolve => setImmediate(resolve))
      assert.deepEqual(events.bytes, Array.from({ length: 50 }, (_, i) => i))
      client.close()
      await events.ended
      assert.deepEqual(events.log.slice(-2), ['end', 'close'])
    } finally {
      await close()
    }
  })

  it('each write is one binary message (a write over 64 KiB is cut into messages of 64 KiB); end() closes with 1000 after what was written', async () => {
    const { client, server, close } = await pair()
    try {
      server.attach(recorder())
      const messages: Array<{ length: number, binary: boolean }> = []
      client.on('message', (data: Buffer, binary: boolean) => { messages.push({ length: data.length, binary }) })
      const closing = once(client, 'close') as Promise<[number, Buffer]>
      server.write(new Uint8Array(10))
      server.write(new Uint8Array(200_000))
      server.write(new Uint8Array(0)) // nothing is sent for an empty write
      server.end()
      const [code] = await closing
      assert.equal(code, WsCloseCodes.NORMAL)
      assert.deepEqual(messages.map(m => m.length), [10, 65_536, 65_536, 65_536, 3392])
      assert.ok(messages.every(m => m.binary))
    } finally {
      await close()
    }
  })
})
