import { connect } from 'node:net'
import type { Socket } from 'node:net'
import { connect as connectTls } from 'node:tls'
import type { CarrierKind, Endpoint } from '../load/target.js'
import { dialWebSocket } from './ws-carrier.js'

/** What a connection hears from its carrier; the carrier calls these, once open and then per read. */
export interface CarrierEvents {
  /** Bytes can flow (TCP connected, TLS handshake done, WebSocket upgraded). */
  opened: () => void
  /** One read: a socket chunk, or a binary WebSocket message. */
  data: (chunk: Buffer) => void
  /** The carrier failed or closed (not called for our own `destroy`). */
  ended: (reason: string) => void
}

/**
 * A byte stream to a server, whatever carries it: TCP, TLS, or a WebSocket
 * whose binary messages carry the stream (PROTOCOL.md §1). A protocol
 * adapter writes and reads bytes and never knows which.
 */
export interface Carrier {
  /** Writes bytes, or a latin1 string (one byte per character: what the adapters build their batches as). */
  write: (data: Uint8Array | string) => void
  destroy: () => void
}

/** Opens a carrier to 127.0.0.1 of the endpoint's kind: TCP unless the endpoint says otherwise. */
export function dial (endpoint: Endpoint, events: CarrierEvents): Carrier {
  const kind: CarrierKind = endpoint.carrier ?? 'tcp'
  switch (kind) {
    case 'tcp': return socketCarrier(connect(endpoint.port, '127.0.0.1'), 'connect', events)
    case 'tls': return socketCarrier(connectTls({ host: '127.0.0.1', port: endpoint.port, ca: endpoint.tlsCa }), 'secureConnect', events)
    case 'ws': return dialWebSocket(endpoint.port, events)
  }
}

function socketCarrier (socket: Socket, openEvent: 'connect' | 'secureConnect', events: CarrierEvents): Carrier {
  socket.setNoDelay(true)
  socket.once(openEvent, events.opened)
  socket.on('data', events.data)
  socket.on('error', err => { events.ended(`socket error: ${err.message}`) })
  socket.on('close', () => { events.ended('connection closed by the server') })
  return {
    write: data => { typeof data === 'string' ? socket.write(data, 'latin1') : socket.write(data) },
    destroy: () => { socket.destroy() }
  }
}
