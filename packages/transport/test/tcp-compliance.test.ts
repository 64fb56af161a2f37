import { after } from 'node:test'
import { createServer, connect } from 'node:net'
import type { AddressInfo, Server, Socket } from 'node:net'
import { once } from 'node:events'
import { getDefaultHighWaterMark } from 'node:stream'
import { tcpDuplex } from '../src/index.js'
import type { Duplex } from '../src/index.js'
import { duplexCompliance } from './duplex-compliance.js'

// Real sockets on loopback: side a dials as the SDK does (no half-open), side b
// is accepted as the server accepts (allowHalfOpen: true).

let listening: Promise<Server> | undefined
const sockets = new WeakMap<Duplex, Socket>()

async function listen (): Promise<Server> {
  const server = createServer({ allowHalfOpen: true })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return server
}

async function makePair (): Promise<[Duplex, Duplex]> {
  listening ??= listen()
  const server = await listening
  const accepted = once(server, 'connection') as Promise<[Socket]>
  const dialled = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1' })
  await once(dialled, 'connect')
  const [socket] = await accepted
  const a = tcpDuplex(dialled)
  const b = tcpDuplex(socket)
  sockets.set(a, dialled)
  sockets.set(b, socket)
  return [a, b]
}

after(async () => {
  if (listening === undefined) return
  const server = await listening
  server.close()
  await once(server, 'close')
})

duplexCompliance('tcpDuplex over loopback sockets (a dialled, b accepted with allowHalfOpen)', makePair, {
  halfOpen: [false, true],
  highWaterMark: getDefaultHighWaterMark(false),
  // An RST: the peer reads ECONNRESET.
  reset: duplex => { sockets.get(duplex)?.resetAndDestroy() }
})
