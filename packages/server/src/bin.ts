#!/usr/bin/env node
import { parseArgs } from 'node:util'
import { createServer } from './chat-server.js'
import { consoleLogger } from './logger.js'

const USAGE = `Usage: chat-server [options]

  --host <addr>                 address to listen on (default 127.0.0.1)
  --port <n>                    port to listen on, 0 for any free one (default 7777)
  --heartbeat-interval-ms <n>   ping a quiet client after this long (default 10000)
  --heartbeat-timeout-ms <n>    drop a client silent for this long (default 30000)
  --max-frame-bytes <n>         largest frame accepted (default 65536)
  --max-text-bytes <n>          largest message text in UTF-8 bytes (default 16384)
  --max-queued-bytes <n>        outbound bytes per client before it is dropped as slow (default 4194304)
  --close-timeout-ms <n>        how long a shutdown waits for clients (default 2000)
  -h, --help                    show this help`

function usageError (message: string): never {
  console.error(`chat-server: ${message}\n\n${USAGE}`)
  process.exit(2)
}

let parsed
try {
  parsed = parseArgs({
    options: {
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '7777' },
      'heartbeat-interval-ms': { type: 'string' },
      'heartbeat-timeout-ms': { type: 'string' },
      'max-frame-bytes': { type: 'string' },
      'max-text-bytes': { type: 'string' },
      'max-queued-bytes': { type: 'string' },
      'close-timeout-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    }
  })
} catch (err) {
  usageError((err as Error).message)
}
const { values } = parsed

if (values.help === true) {
  console.log(USAGE)
  process.exit(0)
}

function integer (flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) usageError(`--${flag} needs a whole number, got "${value}"`)
  if (flag === 'port' && n > 65535) usageError(`--port must be at most 65535, got ${n}`)
  return n
}

let server
try {
  server = createServer({
    heartbeatIntervalMs: integer('heartbeat-interval-ms', values['heartbeat-interval-ms']),
    heartbeatTimeoutMs: integer('heartbeat-timeout-ms', values['heartbeat-timeout-ms']),
    maxFrameBytes: integer('max-frame-bytes', values['max-frame-bytes']),
    maxTextBytes: integer('max-text-bytes', values['max-text-bytes']),
    maxQueuedBytes: integer('max-queued-bytes', values['max-queued-bytes']),
    closeTimeoutMs: integer('close-timeout-ms', values['close-timeout-ms']),
    logger: consoleLogger
  })
  await server.listen({ host: values.host, port: integer('port', values.port) })
} catch (err) {
  console.error(`chat-server: ${(err as Error).message}`)
  process.exit(1)
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    consoleLogger.info(`${signal} received`)
    server.close().then(() => process.exit(0), () => process.exit(1))
  })
}
