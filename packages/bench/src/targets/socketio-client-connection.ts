import { io } from 'socket.io-client'
import type { Socket } from 'socket.io-client'
import type { ConnectionSpec, LoadConnection, Receiver } from '../load/target.js'
import type { TextFields } from '../load/message-text.js'
import { parseTextString } from '../load/message-text.js'

/** Bytes of `42["m","<text>"]` around the text, plus a small WebSocket frame header: for MB/s. */
const FRAMING_BYTES = 12 + 2

/** One socket.io-client connection (its own Manager: `forceNew`), its own text echoed back being a publisher's ack. */
export async function openSocketioConnection (port: number, spec: ConnectionSpec, receiver: Receiver): Promise<LoadConnection> {
  const socket: Socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false, timeout: 15_000 })
  const fields: TextFields = { publisher: 0, seq: 0, sentMicros: 0 }
  const own = spec.publisher ?? -1
  let closedByUs = false
  socket.on('m', (text: string) => {
    receiver.chunkStart(text.length + FRAMING_BYTES)
    if (parseTextString(text, fields)) {
      if (fields.publisher === own) receiver.acked(1)
      else receiver.message(fields)
    }
    receiver.chunkEnd()
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect_error', err => { reject(new Error(`${spec.name}: ${err.message}`)) })
    socket.once('connect', () => { socket.emit('join', spec.room, () => { resolve() }) })
  })
  socket.on('disconnect', reason => { if (!closedByUs) receiver.failed(`disconnected: ${reason}`) })
  return {
    send: texts => { for (const text of texts) socket.emit('m', spec.room, text) },
    close: () => {
      closedByUs = true
      socket.disconnect()
    }
  }
}
