/**
 * A Socket.IO server with rooms, as a TypeScript developer would write it: a
 * client emits `join` (acknowledged) and then `m` with a room and a text,
 * which goes to everyone in the room, the sender included. WebSocket
 * transport only, no compression (Socket.IO's own defaults otherwise).
 *
 *   node socketio-server.js        (prints "listening on <host>:<port>")
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'

const http = createServer()
const io = new Server(http, { transports: ['websocket'], perMessageDeflate: false, serveClient: false })

io.on('connection', socket => {
  socket.on('join', (room: string, ack: () => void) => {
    void socket.join(room)
    ack()
  })
  socket.on('m', (room: string, text: string) => {
    io.to(room).emit('m', text)
  })
})

http.listen(0, '127.0.0.1', () => {
  const { address, port } = http.address() as AddressInfo
  console.error(`listening on ${address}:${port}`)
})
process.on('SIGTERM', () => { process.exit(0) })
