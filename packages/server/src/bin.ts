import { parseArgs } from 'node:util'
import { isValidRoomName } from '@chat/protocol'
import { SERVER_FLAGS } from './cli-flags.js'
import type { ServerFlag } from './cli-flags.js'
import { ConfigError, layerSettings } from './config-sources.js'
import { runCheckCommand } from './check-command.js'
import { runStatusCommand } from './status-command.js'
import { createServer } from './chat-server.js'
import { SqliteStore } from './store/sqlite-store.js'
import { cliLogger, LOG_FORMATS, LOG_LEVELS } from './ops/cli-logger.js'
import { LIMIT_USAGE, limitOptions } from './limits/limit-flags.js'
import { AUTH_MODES } from './options.js'
import { OriginPolicy } from './transport/origin-policy.js'
import type { ServerOptions } from './options.js'
import { readTlsFiles, TlsFileError } from './transport/tls-credentials.js'
import type { TlsCredentials } from './transport/tls-credentials.js'

const USAGE = `Usage: chat-server [options]
       chat-server check [--data <dir>]   check the database (see chat-server check --help)
       chat-server cluster-status --cluster <url>   which node holds whom (see --help)

  --host <addr>                 address to listen on (default 127.0.0.1)
  --port <n>                    TCP (or TLS) port to listen on, 0 for any free one (default 7777)
  --http-port <n>               HTTP (or HTTPS) port for WebSocket clients at /ws, 0 for any free one (default 7780)
  --no-http                     no HTTP listener (TCP only)
  --no-web                      no web page at / on the HTTP port (WebSocket clients at /ws only)
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
  --cluster <url>               run as one node of a cluster sharing names, rooms and history through this Redis
                                (redis://host:port); --data and --memory are then unused
  --cluster-prefix <p>          prefix of the cluster's Redis keys and channels (default chat:)
  --node-id <id>                this node's name in the cluster (default <host>-<pid>-<random>)
  --lease-ms <n>                a node silent this long is retired: its users leave their rooms (default 3000)
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
  --no-typing                   no typing indicators: typing requests are answered unknown_type
  --no-read-markers             no read markers: read and unread requests are answered unknown_type
  --read-receipts <list>        rooms whose members see each other's read markers move, comma-separated,
                                or * for every room (default none)
${LIMIT_USAGE}
  --log-level <level>           debug | info | warn | error | silent (default info)
  --log-format <format>         json: one JSON object per line | pretty: for a person
                                (default pretty on a terminal, json otherwise)
  --config <file>               read settings from a JSON or YAML file (keys as these flags, or camelCase)
  --print-config                print the settings it would run with, and where each came from; then exit
  -h, --help                    show this help

Every setting can also come from the environment: CHAT_ and its name in capitals (CHAT_PORT, CHAT_HTTP_PORT,
CHAT_CONFIG for the file). The command line wins over the environment, which wins over the file.`

if (process.argv[2] === 'check') process.exit(runCheckCommand(process.argv.slice(3)))
if (process.argv[2] === 'cluster-status') process.exit(await runStatusCommand(process.argv.slice(3)))

function usageError (message: string): never {
  console.error(`chat-server: ${message}\n\n${USAGE}`)
  process.exit(2)
}

// Settings from a config file and CHAT_* variables, under the command line's.
let layered
try {
  layered = layerSettings(process.argv.slice(2), process.env)
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  console.error(`chat-server: ${err.message}`)
  process.exit(2)
}
const { sources } = layered

let parsed
try {
  parsed = parseArgs({ args: layered.argv, options: SERVER_FLAGS })
} catch (err) {
  usageError((err as Error).message)
}
const { values } = parsed

/** Where a setting came from, when not the command line: said with its error. */
function from (flag: string): string {
  const source = sources.get(flag as ServerFlag)
  return source === undefined || source.startsWith('--') ? '' : ` (from ${source})`
}

if (values.help === true) {
  console.log(USAGE)
  process.exit(0)
}

function integer (flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isSafeInteger(n) || n < 0) usageError(`--${flag} needs a whole number, got "${value}"${from(flag)}`)
  if ((flag === 'port' || flag === 'http-port') && n > 65535) usageError(`--${flag} must be at most 65535, got ${n}${from(flag)}`)
  return n
}

function clusterUrl (value: string): string {
  if (!/^rediss?:\/\/[^\s]+$/.test(value)) usageError(`--cluster needs a redis:// URL, got "${value}"${from('cluster')}`)
  return value
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

function duration (flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const match = /^(\d+)(ms|s|m|h|d)?$/.exec(value)
  if (match === null) usageError(`--${flag} needs a duration like 90d, 12h, 30m, 45s or a number of ms, got "${value}"${from(flag)}`)
  return Number(match[1]) * DURATION_UNITS[match[2] ?? 'ms']
}

function oneOf<T extends string> (flag: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined
  if (!(allowed as readonly string[]).includes(value)) usageError(`--${flag} must be one of ${allowed.join(', ')}, got "${value}"${from(flag)}`)
  return value as T
}

const consoleLogger = cliLogger(
  oneOf('log-level', values['log-level'], LOG_LEVELS) ?? 'info',
  oneOf('log-format', values['log-format'], LOG_FORMATS) ?? (process.stderr.isTTY ? 'pretty' : 'json')
)

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

/** `--read-receipts`: `*`, or room names separated by commas. */
function receiptRooms (value: string | undefined): string[] | '*' | undefined {
  if (value === undefined) return undefined
  if (value.trim() === '*') return '*'
  const rooms = value.split(',').map(room => room.trim()).filter(room => room !== '')
  const bad = rooms.find(room => !isValidRoomName(room))
  if (bad !== undefined) usageError(`--read-receipts needs room names separated by commas, or *: "${bad}" is not a room name${from('read-receipts')}`)
  return rooms
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
  dataDir: values.memory === true || values.cluster !== undefined ? undefined : values.data,
  cluster: values.cluster === undefined
    ? undefined
    : { url: clusterUrl(values.cluster), prefix: values['cluster-prefix'], nodeId: values['node-id'], leaseMs: integer('lease-ms', values['lease-ms']) },
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
  typing: values['no-typing'] !== true,
  readMarkers: values['no-read-markers'] !== true,
  readReceipts: receiptRooms(values['read-receipts']),
  allowedOrigins: origins(values['allowed-origins']),
  wsCompression: values['ws-compression'],
  handshakeTimeoutMs: integer('handshake-timeout-ms', values['handshake-timeout-ms']),
  ...limitOptions(values, integer),
  web: values['no-web'] !== true,
  logger: consoleLogger
}
const listenOn = {
  host: values.host,
  tls: tls === undefined ? undefined : readTls(tls),
  port: integer('port', values.port),
  httpPort: values['no-http'] === true ? undefined : integer('http-port', values['http-port'])
}

// What the server would run with, and where each setting came from; nothing is opened.
if (values['print-config'] === true) {
  const settings: Record<string, { value: unknown, from: string }> = {}
  for (const [flag, spec] of Object.entries(SERVER_FLAGS)) {
    if (flag === 'help' || flag === 'print-config' || flag === 'config') continue
    const value = (values as Record<string, unknown>)[flag]
    settings[flag] = { value: value ?? null, from: sources.get(flag as ServerFlag) ?? ('default' in spec ? 'default' : 'unset') }
  }
  console.log(JSON.stringify(settings, null, 2))
  process.exit(0)
}

let server
try {
  server = createServer(options)
  consoleLogger.info(values.cluster !== undefined
    ? `cluster node: names, rooms and messages in Redis at ${values.cluster}`
    : values.memory === true ? 'keeping messages in memory only' : `data in ${server.store instanceof SqliteStore ? server.store.path : values.data}`)
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

// The first SIGINT or SIGTERM: stop accepting, tell clients server_shutdown, finish the commits, exit 0 within
// --close-timeout-ms. A second one: exit at once (what is acknowledged is stored already).
let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) {
      consoleLogger.warn(`${signal} received again: exiting now`)
      process.exit(signal === 'SIGINT' ? 130 : 143)
    }
    stopping = true
    consoleLogger.info(`${signal} received: shutting down`)
    server.close().then(() => process.exit(0), () => process.exit(1))
  })
}
