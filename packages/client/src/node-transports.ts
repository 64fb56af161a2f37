import { tcpTransport } from './tcp-transport.js'
import { tlsTransport } from './tls-transport.js'
import { transportFor } from './transports.js'
import type { Transport, TransportRegistry } from './transports.js'
import { wsTransport } from './ws-transport.js'

/**
 * The transports of Node, by scheme. Node-only (`node:net`, `node:tls`,
 * the `ws` package): a browser build gives its own list (`ws:` and `wss:`
 * over the global WebSocket) in place of this module.
 */
export const nodeTransports: TransportRegistry = new Map([
  ['tcp:', tcpTransport],
  ['tls:', tlsTransport],
  ['ws:', wsTransport],
  ['wss:', wsTransport]
])

/** The transport `connect()` uses by default in Node: the one `address`'s scheme names. For wrapping it (a test's, a proxy's). */
export const defaultTransport: Transport = async (address, options) => await transportFor(address, nodeTransports)(address, options)
