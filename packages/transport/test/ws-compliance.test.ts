import { after } from 'node:test'
import { createServer } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { once } from 'node:events'
import { WebSocket, WebSocketServer } from 'ws'
import { wsDuplex } from '../src/index.js'
import type { Duplex } from '../src/index.js'
import { duplexCompliance } from './duplex-compliance.js'

// Real WebSockets over loopback, made by the `ws` package as the server and the SDK make them:
// side a dials (a client socket), side b is accepted by a WebSocketServer. No compression.

const HIGH_WATER_MARK = 16 * 1024

let listening: Promise<{ http: Server, wss: WebSocketServer }> | undefined
const sockets = new WeakMap<Duplex, WebSocket>()

async function listen (): Promise<{ http: Server, wss: WebSocketServer }> {
  const http = createServer()
  const wss = new WebSocketServer({ server: http, perMessageDeflate: false })
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  return { http, wss }
}

async function makePair (): Promise<[Duplex, Duplex]> {
  listening ??= listen()
  const { http, wss } = await listening
  const accepted = once(wss, 'connection') as Promise<[WebSocket, { socket: Socket }]>
  const dialled = new WebSocket(`ws://127.0.0.1:${(http.address() as AddressInfo).port}/`, { perMessageDeflate: false })
  await once(dialled, 'open')
  const [socket, request] = await accepted
  const a = wsDuplex(dialled, 'server', { highWaterMark: HIGH_WATER_MARK })
  const b = wsDuplex(socket, `${request.socket.remoteAddress}:${request.socket.remotePort}`, { highWaterMark: HIGH_WATER_MARK })
  sockets.set(a, dialled)
  sockets.set(b, socket)
  return [a, b]
}

after(async () => {
  if (listening === undefined) return
  const { http, wss } = await listening
  wss.close()
  http.close()
  http.closeAllConnections()
  await once(http, 'close')
})

duplexCompliance('wsDuplex over loopback WebSockets (a dialled, b accepted)', makePair, {
  // A WebSocket has no half-close: the peer's close frame is answered at once.
  halfOpen: [false, false],
  highWaterMark: HIGH_WATER_MARK,
  // A TCP reset under the WebSocket: the peer sees the socket close without a close frame.
  reset: duplex => { (sockets.get(duplex) as unknown as { _socket: Socket })._socket.resetAndDestroy() }
})
