import { afterEach, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer, connect } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { tcpDuplex } from '../src/index.js'
import type { Duplex } from '../src/index.js'

/** A loopback server on a free port; each accepted socket goes to `onSocket`. */
async function listen (onSocket: (socket: Socket) => void): Promise<{ server: Server, port: number }> {
  const server = createServer({ allowHalfOpen: true }, onSocket)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { server, port: (server.address() as AddressInfo).port }
}

async function dial (port: number): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true })
  await once(socket, 'connect')
  return socket
}

async function collect (source: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Uint8Array[] = []
  for await (const chunk of source) chunks.push(chunk)
  return Buffer.concat(chunks)
}

async function * chunksOf (...parts: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield part
}

/** Byte i of the test pattern: a period (251) that doesn't divide any chunk size used. */
function pattern (offset: number, length: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (offset + i) % 251
  return out
}

const servers: Server[] = []
const sockets: Socket[] = []

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy()
  for (const server of servers.splice(0)) {
    server.close()
    await once(server, 'close')
  }
})

/**
 * A connected pair: `client` is the dialling side; the accepted side is handed to
 * `onServer`, whose result arrives as `server`.
 */
async function pair<R> (onServer: (duplex: Duplex, socket: Socket) => R | Promise<R>): Promise<{ client: Duplex, clientSocket: Socket, server: Promise<R> }> {
  let resolveServer!: (result: R | Promise<R>) => void
  const server = new Promise<R>(resolve => { resolveServer = resolve })
  const { server: netServer, port } = await listen(socket => {
    sockets.push(socket)
    resolveServer(onServer(tcpDuplex(socket), socket))
  })
  servers.push(netServer)
  const clientSocket = await dial(port)
  sockets.push(clientSocket)
  return { client: tcpDuplex(clientSocket), clientSocket, server }
}

describe('tcpDuplex', () => {
  it('carries bytes both ways (an echo server), then closes', async () => {
    const { client, server } = await pair(async duplex => {
      await duplex.sink(duplex.source) // echo until the client ends its side
      return duplex
    })
    const parts = [Buffer.from('hello '), Buffer.from('over '), Buffer.from('loopback'), pattern(0, 100_000)]
    const [echoed] = await Promise.all([collect(client.source), client.sink(chunksOf(...parts))])
    assert.deepEqual(echoed, Buffer.concat(parts))
    assert.match(client.remoteAddress, /^127\.0\.0\.1:\d+$/)
    await client.closed
    await (await server).closed
  })

  it('sink honours backpressure: 20 MB to a slow reader arrive whole and in order, with little buffered in the writer', { timeout: 60_000 }, async () => {
    const total = 20 * 1024 * 1024
    const chunkSize = 64 * 1024
    const { client, server } = await pair(async duplex => {
      let received = 0
      let mismatchAt = -1
      let reads = 0
      for await (const chunk of duplex.source) {
        if (mismatchAt < 0) {
          for (let i = 0; i < chunk.byteLength; i++) {
            if (chunk[i] !== (received + i) % 251) { mismatchAt = received + i; break }
          }
        }
        received += chunk.byteLength
        // A slow reader: wait now and then, so the writer gets ahead of it.
        if (++reads % 4 === 0) await sleep(1)
      }
      return { received, mismatchAt }
    })
    let maxWritable = 0
    await client.sink((async function * () {
      for (let offset = 0; offset < total; offset += chunkSize) {
        // The sink pulls the next chunk only once the socket took the previous one.
        maxWritable = Math.max(maxWritable, client.writableLength)
        yield pattern(offset, Math.min(chunkSize, total - offset))
      }
    })())
    const { received, mismatchAt } = await server
    assert.equal(mismatchAt, -1, `byte ${mismatchAt} arrived out of order`)
    assert.equal(received, total)
    // Writing without waiting for 'drain' would buffer most of the 20 MB in the writer.
    assert.ok(maxWritable <= 2 * chunkSize, `the writer buffered up to ${maxWritable} bytes`)
  })

  it('the source ends quietly when the peer resets the connection', { timeout: 20_000 }, async () => {
    const { client, clientSocket } = await pair(async (duplex, socket) => {
      for await (const _ of duplex.source) break // the client is connected and talking
      // A reset with nothing written first: the client reads ECONNRESET, not an end of stream.
      // (In our runs a write just before the reset ended the stream with a plain FIN instead.)
      socket.resetAndDestroy()
    })
    const errors: string[] = []
    clientSocket.on('error', (err: NodeJS.ErrnoException) => { errors.push(err.code ?? err.message) })
    clientSocket.write('go')
    const received = await collect(client.source) // must not throw
    assert.equal(received.byteLength, 0)
    await client.closed
    assert.deepEqual(errors, ['ECONNRESET'], 'the peer really reset the connection')
  })

  it('the sink stops when the peer resets, even with more to write', { timeout: 20_000 }, async () => {
    const { client, clientSocket } = await pair((duplex, socket) => {
      void (async () => {
        for await (const _ of duplex.source) { socket.resetAndDestroy(); break }
      })()
    })
    let pulled = 0
    await client.sink((async function * () {
      while (true) { pulled++; yield pattern(0, 64 * 1024) }
    })())
    assert.ok(clientSocket.destroyed)
    assert.ok(pulled > 0)
    await client.closed
  })

  it('a consumer that stops reading early does not destroy the socket: the sink can still write', async () => {
    const { client, server } = await pair(async duplex => {
      await duplex.sink(chunksOf(Buffer.from('one'), Buffer.from('two')))
      return await collect(duplex.source)
    })
    for await (const chunk of client.source) {
      assert.ok(chunk.byteLength > 0)
      break // return early from the source
    }
    await client.sink(chunksOf(Buffer.from('still here')))
    assert.equal((await server).toString(), 'still here')
  })

  it('destroy() closes at once', async () => {
    const { client } = await pair(() => {})
    client.destroy()
    await client.closed
    assert.deepEqual(await collect(client.source), Buffer.alloc(0))
  })
})
