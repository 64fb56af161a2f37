import { WEBSOCKET_PATH } from '@chat/protocol'
import WebSocket from 'ws'
import type { Carrier, CarrierEvents } from './carrier.js'

/**
 * Longest binary message sent: within any receiver's limit (PROTOCOL.md §1).
 * Message boundaries mean nothing to the protocol, so a longer batch is cut
 * anywhere, into views of the same buffer.
 */
export const MAX_MESSAGE_BYTES = 64 * 1024

const BINARY = { binary: true }

/**
 * Our byte stream inside binary WebSocket messages (the `ws` package, no
 * compression), to the server's `/ws` on its HTTP port. Each write is one
 * message (or a few, past MAX_MESSAGE_BYTES), so a publisher's batch of
 * frames costs one message, as it costs one socket write over TCP.
 */
export function dialWebSocket (port: number, events: CarrierEvents): Carrier {
  const ws = new WebSocket(`ws://127.0.0.1:${port}${WEBSOCKET_PATH}`, { perMessageDeflate: false })
  ws.once('open', events.opened)
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) events.data(data)
    else events.ended('the server sent a text message')
  })
  ws.on('error', err => { events.ended(`WebSocket error: ${err.message}`) })
  ws.on('close', (code: number) => { events.ended(`WebSocket closed by the server (${code})`) })
  return {
    write: data => {
      const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data
      for (const message of messagesOf(bytes)) ws.send(message, BINARY)
    },
    destroy: () => { ws.terminate() }
  }
}

/** `bytes` cut into messages of at most MAX_MESSAGE_BYTES (views, no copy); one message if it fits. */
export function messagesOf (bytes: Uint8Array): Uint8Array[] {
  if (bytes.byteLength <= MAX_MESSAGE_BYTES) return [bytes]
  const messages: Uint8Array[] = []
  for (let offset = 0; offset < bytes.byteLength; offset += MAX_MESSAGE_BYTES) messages.push(bytes.subarray(offset, offset + MAX_MESSAGE_BYTES))
  return messages
}
