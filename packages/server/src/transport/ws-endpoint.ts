import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Duplex as NodeDuplex } from 'node:stream'
import { WebSocketServer } from 'ws'
import type { WebSocket } from 'ws'
import { maxWebSocketMessageBytes } from '@chat/protocol'
import { wsDuplex } from '@chat/transport'
import type { Duplex } from '@chat/transport'
import { refuseUpgrade } from './http-listener.js'
import type { HttpRoute } from './http-listener.js'
import type { OriginPolicy } from './origin-policy.js'
import type { TransportCounters } from './transport-stats.js'

export interface WsEndpointOptions {
  /** The server's frame limit: a message may hold two whole frames (`maxWebSocketMessageBytes`). */
  maxFrameBytes: number
  /** permessage-deflate, if the client offers it. Off by default: it costs CPU and memory per connection. */
  compression: boolean
  origins: OriginPolicy
  /** The listener is HTTPS: the server's own origin is `https://<Host>`. */
  secure: boolean
  counters: TransportCounters
}

const UPGRADE_REQUIRED = '/ws is a WebSocket endpoint: connect with a WebSocket client (binary messages carrying the chat protocol)'

/**
 * The WebSocket endpoint (the `/ws` route): checks the origin, completes the
 * handshake with the `ws` package, and hands each connection to `accept` as
 * a `Duplex`, the same as a TCP one. Refusals are counted: a bad origin
 * (403), a plain request (426), a malformed upgrade (400), and, once open, a
 * text message (1003, by `WsDuplex`) or an oversized one (1009, by `ws`).
 */
export class WsEndpoint implements HttpRoute {
  private readonly wss: WebSocketServer
  /** Shared by every socket (no closures per connection): counts the first text message of a socket. */
  private readonly countText: (this: WebSocket, data: unknown, isBinary: boolean) => void
  private readonly countErrors: (err: Error & { code?: string }) => void

  constructor (private readonly accept: (duplex: Duplex) => void, private readonly options: WsEndpointOptions) {
    const counters = options.counters
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: maxWebSocketMessageBytes(options.maxFrameBytes),
      perMessageDeflate: options.compression,
      // No subprotocol is defined: an offered one is not selected (PROTOCOL.md §1).
      handleProtocols: () => false,
      // The protocol has its own heartbeats and connection limits: nothing to track here.
      clientTracking: false
    })
    this.wss.on('wsClientError', (err: Error, socket: NodeDuplex) => {
      counters.badUpgrades++
      refuseUpgrade(socket, 400, err.message)
    })
    this.countText = function (this: WebSocket, _data: unknown, isBinary: boolean): void {
      if (isBinary) return
      counters.textMessages++
      this.off('message', countText)
    }
    const countText = this.countText
    this.countErrors = err => { if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') counters.oversizedMessages++ }
  }

  /** A plain request on /ws: it needs the upgrade. */
  request (_request: IncomingMessage, response: ServerResponse): void {
    this.options.counters.badUpgrades++
    response.writeHead(426, { Upgrade: 'websocket', Connection: 'Upgrade', 'Content-Type': 'text/plain; charset=utf-8' })
    response.end(`${UPGRADE_REQUIRED}\n`)
  }

  upgrade (request: IncomingMessage, socket: NodeDuplex, head: Buffer): void {
    const { origins, secure, counters } = this.options
    if (!origins.allows(request.headers.origin, request.headers.host, secure)) {
      counters.refusedOrigins++
      refuseUpgrade(socket, 403, `origin ${request.headers.origin ?? ''} is not allowed`)
      return
    }
    const peer = `${request.socket.remoteAddress ?? '?'}:${request.socket.remotePort ?? '?'}`
    this.wss.handleUpgrade(request, socket, head, ws => {
      ws.on('message', this.countText)
      ws.on('error', this.countErrors)
      this.accept(wsDuplex(ws, peer))
    })
  }
}
