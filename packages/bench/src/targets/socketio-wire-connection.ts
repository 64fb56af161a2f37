import WebSocket from 'ws'
import type { ConnectionSpec, LoadConnection, Receiver } from '../load/target.js'
import type { TextFields } from '../load/message-text.js'
import { parseTextBytes } from '../load/message-text.js'

// Engine.IO v4 / Socket.IO v5 packets, one per WebSocket message: "0{...}" open, "2"/"3" ping/pong,
// "40" connect to the main namespace, "42[...]" an event, "421[...]" an event asking for ack 1, "431[...]" that ack.
const EVENT_PREFIX = Buffer.from('42["m","')
const PING = '2'
const PONG = '3'

/**
 * A Socket.IO client that speaks the wire protocol itself over `ws`: the
 * official socket.io-client costs several microseconds per received event,
 * so a load generator built on it saturates long before the server does.
 * Handles what the scenarios need: connect to the main namespace, `join` with
 * an ack, emit `m`, receive `m`, answer pings. A publisher's own text coming
 * back is its ack, as with the baseline.
 */
export async function openSocketioWire (port: number, spec: ConnectionSpec, receiver: Receiver): Promise<LoadConnection> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`, { perMessageDeflate: false })
  const fields: TextFields = { publisher: 0, seq: 0, sentMicros: 0 }
  const own = spec.publisher ?? -1
  const room = JSON.stringify(spec.room)
  let closedByUs = false
  let joined = false
  await new Promise<void>((resolve, reject) => {
    const fail = (reason: string): void => {
      if (!joined) { ws.terminate(); reject(new Error(`${spec.name}: ${reason}`)) } else if (!closedByUs) receiver.failed(reason)
    }
    ws.on('error', err => { fail(err.message) })
    ws.on('close', () => { fail('connection closed by the server') })
    ws.on('message', (data: Buffer) => {
      receiver.chunkStart(data.length)
      if (data.length > EVENT_PREFIX.length && data.compare(EVENT_PREFIX, 0, EVENT_PREFIX.length, 0, EVENT_PREFIX.length) === 0) {
        if (parseTextBytes(data, EVENT_PREFIX.length, data.length, fields)) {
          if (fields.publisher === own) receiver.acked(1)
          else receiver.message(fields)
        }
      } else {
        const packet = data.toString('utf8')
        if (packet === PING) ws.send(PONG)
        else if (packet.startsWith('0{')) ws.send('40')
        else if (packet.startsWith('40')) ws.send(`421["join",${room}]`)
        else if (packet.startsWith('431')) { joined = true; resolve() } else if (packet.startsWith('44') || packet.startsWith('1')) fail(`refused: ${packet}`)
      }
      receiver.chunkEnd()
    })
  })
  return {
    send: texts => { for (const text of texts) ws.send(`42["m",${room},${JSON.stringify(text)}]`) },
    close: () => {
      closedByUs = true
      ws.terminate()
    }
  }
}
