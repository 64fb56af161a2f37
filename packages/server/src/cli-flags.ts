import type { ParseArgsConfig } from 'node:util'
import { LIMIT_FLAGS } from './limits/limit-flags.js'

/**
 * The CLI's settings, as `parseArgs` options. A setting can also come from the
 * environment (`CHAT_` and its name in capitals, `-` as `_`: `CHAT_HTTP_PORT`)
 * or a config file (`--config chat.json` or `.yaml`, keys as here or in
 * camelCase); see config-sources.ts for the order.
 */
export const SERVER_FLAGS = {
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '7777' },
  'http-port': { type: 'string', default: '7780' },
  'no-http': { type: 'boolean' },
  'no-web': { type: 'boolean' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'allowed-origins': { type: 'string' },
  'ws-compression': { type: 'boolean' },
  'handshake-timeout-ms': { type: 'string' },
  data: { type: 'string', default: './data' },
  memory: { type: 'boolean' },
  init: { type: 'boolean' },
  cluster: { type: 'string' },
  'cluster-prefix': { type: 'string' },
  'node-id': { type: 'string' },
  'lease-ms': { type: 'string' },
  auth: { type: 'string' },
  durability: { type: 'string' },
  'retention-max-age': { type: 'string' },
  'retention-max-messages': { type: 'string' },
  'heartbeat-interval-ms': { type: 'string' },
  'heartbeat-timeout-ms': { type: 'string' },
  'max-frame-bytes': { type: 'string' },
  'max-text-bytes': { type: 'string' },
  'max-queued-bytes': { type: 'string' },
  'close-timeout-ms': { type: 'string' },
  'presence-limit': { type: 'string' },
  'no-typing': { type: 'boolean' },
  'no-read-markers': { type: 'boolean' },
  'read-receipts': { type: 'string' },
  ...LIMIT_FLAGS,
  'max-pending-requests': { type: 'string' },
  'pages-per-second': { type: 'string' },
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  config: { type: 'string' },
  'print-config': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }
} as const satisfies NonNullable<ParseArgsConfig['options']>

export type ServerFlag = keyof typeof SERVER_FLAGS
