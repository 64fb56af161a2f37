import { tcpTransport } from './tcp-transport.js'
import { tlsTransport } from './tls-transport.js'
import type { Transport } from './transports.js'
import { wsTransport } from './ws-transport.js'

/**
 * The transports of Node, by scheme. Node-only (`node:net`, `node:tls`,
 * the `ws` package): a browser build gives its own list (`ws:` and `wss:`
 * over the global WebSocket) in place of this module.
 */
export const nodeTransports: ReadonlyMap<string, Transport> = new Map([
  ['tcp:', tcpTransport],
  ['tls:', tlsTransport],
  ['ws:', wsTransport],
  ['wss:', wsTransport]
])
