import { parseArgs } from 'node:util'
import { runCheckCommand } from './check-command.js'
import { createServer } from './chat-server.js'
import { SqliteStore } from './store/sqlite-store.js'
import { consoleLogger } from './logger.js'
import { AUTH_MODES } from './options.js'
import { OriginPolicy } from './transport/origin-policy.js'
import type { ServerOptions } from './options.js'
import { readTlsFiles, TlsFileError } from './transport/tls-credentials.js'
import type { TlsCredentials } from './transport/tls-credentials.js'

const USAGE = `Usage: chat-server [options]
       chat-server check [--data <dir>]   check the database (see chat-server check --help)

  --host <addr>                 address to listen on (default 127.0.0.1)
  --port <n>                    TCP (or TLS) port to listen on, 0 for any free one (default 7777)
  --http-port <n>               HTTP (or HTTPS) port for WebSocket clients at /ws, 0 for any free one (default 7780)
  --no-http                     no HTTP listener (TCP only)
  --tls-cert <file>             PEM certificate (chain): TLS on --port, HTTPS/WSS on --http-port (with --tls-key;
                                SIGHUP reloads both files)
  --tls-key <file>              PEM private key of --tls-cert
  --allowed-origins <list>      browser origins allowed to open a WebSocket besides the server's own,
                                comma-separated (https://chat.example.com,...), or * for any (default none)
  --ws-compression              offer permessage-deflate to WebSocket clients (default off)
  --handshake-timeout-ms <n>    close a connection whose TLS handshake or HTTP request takes longer (default 10000)
  --data <dir>                  data directory: the SQLite database chat.db lives here (default ./data)
  --memory                      keep everything in memory instead (gone at exit)
  --init                        allow a new, empty database where one existed and is gone (default: refuse)
  --auth <mode>                 open | accounts | required (default accounts)
  --durability <mode>           full: fsync every commit | normal: fsync at checkpoints (default full)
  --retention-max-age <time>    remove messages older than this: 90d, 12h, 30m, 45s or ms (default: keep)
  --retention-max-messages <n>  keep at most n newest messages per room or conversation (default: keep)
  --heartbeat-interval-ms <n>   ping a quiet client after this long (default 10000)
  --heartbeat-timeout-ms <n>    drop a client silent for this long (default 30000)
  --max-frame-bytes <n>         largest frame accepted (default 65536)
  --max-text-bytes <n>          largest message text in UTF-8 bytes (default 16384)
  --max-queued-bytes <n>        outbound bytes per client before it is dropped as slow (default 4194304)
  --max-pending-requests <n>    replays one client may have running; its next big request waits (default 8)
  --pages-per-second <n>        history and replay pages one client may read per second (default 200)
  --close-timeout-ms <n>        how long a shutdown waits for clients (default 2000)
  --presence-limit <n>          rooms larger than this do not announce joins and leaves (default 1000)
  -h, --help                    show this help`

if (process.argv[2] === 'check') process.exit(runCheckCommand(process.argv.slice(3)))

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
      'http-port': { type: 'string', default: '7780' },
      'no-http': { type: 'boolean' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'allowed-origins': { type: 'string' },
      'ws-compression': { type: 'boolean' },
      'handshake-timeout-ms': { type: 'string' },
      data: { type: 'string', default: './data' },
      memory: { type: 'boolean' },
      init: { type: 'boolean' },
      auth: { type: 'string' },
      durability: { type: 'string' },
      'retention-max-age': { type: 'string' },
      'retention-max-messages': { type: 'string' },
      'heartbeat-interval-ms': { type: 'string' },
      'heartbeat-timeout-ms': { type: 'string' },
      'max-frame-bytes': { type: 'string' },
      'max-text-bytes': { type: 'string' },
      'max-queued-bytes': { type: 'string' },
      'max-pending-requests': { type: 'string' },
      'pages-per-second': { type: 'string' },
      'close-timeout-ms': { type: 'string' },
      'presence-limit': { type: 'string' },
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
  if ((flag === 'port' || flag === 'http-port') && n > 65535) usageError(`--${flag} must be at most 65535, got ${n}`)
  return n
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

function duration (flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value)
  if (match === null) usageError(`--${flag} needs a duration like 90d, 12h, 30m, 45s or a number of ms, got "${value}"`)
  return Number(match[1]) * DURATION_UNITS[match[2] ?? 'ms']
}

function oneOf<T extends string> (flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined
  if (!(allowed as readonly string[]).includes(value)) usageError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"`)
  return value as T
}

function origins (value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined
  const list = value.split(',').map(origin => origin.trim()).filter(origin => origin !== '')
  try {
    void new OriginPolicy(list)
  } catch (err) {
    usageError(`--allowed-origins: ${(err as Error).message}`)
  }
  return list
}

function tlsFiles (): { cert: string, key: string } | undefined {
  const cert = values['tls-cert']
  const key = values['tls-key']
  if (cert === undefined && key === undefined) return undefined
  if (cert === undefined || key === undefined) usageError('--tls-cert and --tls-key go together')
  return { cert, key }
}

function readTls (files: { cert: string, key: string }): TlsCredentials {
  try {
    return readTlsFiles(files.cert, files.key)
  } catch (err) {
    if (!(err instanceof TlsFileError)) throw err
    console.error(`chat-server: ${err.message}`)
    process.exit(2)
  }
}

// Every flag (and the TLS files) is checked before the store is opened: a typo never touches the data directory.
const tls = tlsFiles()
const options: ServerOptions = {
  dataDir: values.memory === true ? undefined : values.data,
  init: values.init,
  authMode: oneOf('auth', values.auth, AUTH_MODES),
  durability: oneOf('durability', values.durability, ['full', 'normal'] as const),
  retention: {
    maxAgeMs: duration('retention-max-age', values['retention-max-age']),
    maxMessagesPerStream: integer('retention-max-messages', values['retention-max-messages'])
  },
  heartbeatIntervalMs: integer('heartbeat-interval-ms', values['heartbeat-interval-ms']),
  heartbeatTimeoutMs: integer('heartbeat-timeout-ms', values['heartbeat-timeout-ms']),
  maxFrameBytes: integer('max-frame-bytes', values['max-frame-bytes']),
  maxTextBytes: integer('max-text-bytes', values['max-text-bytes']),
  maxQueuedBytes: integer('max-queued-bytes', values['max-queued-bytes']),
  maxPendingRequests: integer('max-pending-requests', values['max-pending-requests']),
  pagesPerSecond: integer('pages-per-second', values['pages-per-second']),
  closeTimeoutMs: integer('close-timeout-ms', values['close-timeout-ms']),
  presenceLimit: integer('presence-limit', values['presence-limit']),
  allowedOrigins: origins(values['allowed-origins']),
  wsCompression: values['ws-compression'],
  handshakeTimeoutMs: integer('handshake-timeout-ms', values['handshake-timeout-ms']),
  logger: consoleLogger
}
const listenOn = {
  host: values.host,
  tls: tls === undefined ? undefined : readTls(tls),
  port: integer('port', values.port),
  httpPort: values['no-http'] === true ? undefined : integer('http-port', values['http-port'])
}

let server
try {
  server = createServer(options)
  consoleLogger.info(values.memory === true ? 'keeping messages in memory only' : `data in ${server.store instanceof SqliteStore ? server.store.path : values.data}`)
  await server.listen(listenOn)
} catch (err) {
  const { message, code } = err as Error & { code?: unknown }
  console.error(`chat-server: ${typeof code === 'string' && /^[a-z_]+$/.test(code) ? `${code}: ` : ''}${message}`)
  process.exit(1)
}

// A renewed certificate: new connections get it, open ones keep theirs. A bad one changes nothing.
process.on('SIGHUP', () => {
  if (tls === undefined) {
    consoleLogger.info('SIGHUP received: no TLS certificate to reload')
    return
  }
  try {
    server.setSecureContext(readTlsFiles(tls.cert, tls.key))
    consoleLogger.info(`TLS certificate reloaded from ${tls.cert}`)
  } catch (err) {
    consoleLogger.warn(`TLS certificate reload failed, keeping the current one: ${(err as Error).message}`)
  }
})

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    consoleLogger.info(`${signal} received`)
    server.close().then(() => process.exit(0), () => process.exit(1))
  })
}
