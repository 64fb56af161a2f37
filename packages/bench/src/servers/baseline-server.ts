/**
 * The baseline: a minimal Node TCP server that relays newline-delimited lines
 * to everyone in a room, the sender included, with one write per connection
 * per event-loop turn. No parsing beyond finding line ends, no ids, no
 * storage: the ceiling for a Node process relaying small messages here.
 *
 * A connection's first line is `JOIN <name> <room>`, answered with `OK`; every
 * further line goes to the room as it is.
 *
 *   node baseline-server.js [port]      (prints "listening on <host>:<port>")
 */
import { createServer } from 'node:net'
import type { AddressInfo, Socket } from 'node:net'

/** Like the chat server's outbound limit: a reader this far behind is dropped. */
const MAX_QUEUED_BYTES = 4 * 1024 * 1024
const MAX_LINE_BYTES = 64 * 1024
const OK = Buffer.from('OK\n')

interface Member {
  socket: Socket
  room: Set<Member> | undefined
  /** A partial line from the last read. */
  rest: Buffer | undefined
  pending: Buffer[]
  pendingBytes: number
}

const rooms = new Map<string, Set<Member>>()
let dirty: Member[] = []
let flushScheduled = false

function queue (member: Member, bytes: Buffer): void {
  if (member.pending.length === 0) dirty.push(member)
  member.pending.push(bytes)
  member.pendingBytes += bytes.length
  if (!flushScheduled) {
    flushScheduled = true
    setImmediate(flush)
  }
}

/** One write per connection for everything queued this turn. */
function flush (): void {
  flushScheduled = false
  const members = dirty
  dirty = []
  for (const m of members) {
    const bytes = m.pending.length === 1 ? m.pending[0] : Buffer.concat(m.pending, m.pendingBytes)
    m.pending = []
    m.pendingBytes = 0
    if (m.socket.destroyed) continue
    if (m.socket.writableLength > MAX_QUEUED_BYTES) { m.socket.destroy(); continue }
    m.socket.write(bytes)
  }
}

function handleLine (member: Member, line: Buffer): void {
  if (member.room !== undefined) {
    for (const other of member.room) queue(other, line)
    return
  }
  const [command, , roomName] = line.toString('utf8').trim().split(' ')
  if (command !== 'JOIN' || roomName === undefined) { member.socket.destroy(); return }
  let room = rooms.get(roomName)
  if (room === undefined) rooms.set(roomName, room = new Set())
  room.add(member)
  member.room = room
  queue(member, OK)
}

const server = createServer(socket => {
  socket.setNoDelay(true)
  const member: Member = { socket, room: undefined, rest: undefined, pending: [], pendingBytes: 0 }
  socket.on('data', (chunk: Buffer) => {
    const bytes = member.rest === undefined ? chunk : Buffer.concat([member.rest, chunk])
    member.rest = undefined
    let start = 0
    let newline: number
    while ((newline = bytes.indexOf(10, start)) !== -1) {
      handleLine(member, bytes.subarray(start, newline + 1))
      start = newline + 1
    }
    if (start < bytes.length) {
      if (bytes.length - start > MAX_LINE_BYTES) { socket.destroy(); return }
      member.rest = bytes.subarray(start)
    }
  })
  socket.on('error', () => {})
  socket.on('close', () => {
    member.room?.delete(member)
    member.room = undefined
  })
})

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const { address, port } = server.address() as AddressInfo
  console.error(`listening on ${address}:${port}`)
})
process.on('SIGTERM', () => { process.exit(0) })
