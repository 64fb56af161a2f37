import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { onEmergencyExit, startProcess, waitForPort } from '../child-processes.js'
import { freePort } from '../free-port.js'
import { installed } from '../installed.js'
import type { ConnectionSpec, Endpoint, Receiver, TargetKind } from '../load/target.js'
import type { TextFields } from '../load/message-text.js'
import { parseTextBytes } from '../load/message-text.js'
import { LineSplitter } from './line-splitter.js'
import type { LineHandler } from './line-splitter.js'
import { SocketConnection } from './socket-connection.js'

/**
 * ngIRCd (Debian's package) with a generated configuration in a temporary
 * directory: loopback only, no DNS or ident lookups, no limit on connections
 * per address, and no flood penalties (`MaxPenaltyTime = 0`), else it would
 * throttle any client sending more than a few lines a second.
 */
export function ircTarget (): TargetKind {
  return {
    name: 'ngircd',
    unavailable: () => installed('ngircd') ? undefined : 'ngircd is not installed (apt-get install -y ngircd)',
    start: async () => {
      const port = await freePort()
      const dir = mkdtempSync(join(tmpdir(), 'bench-ngircd-'))
      const config = join(dir, 'ngircd.conf')
      const removeDir = onEmergencyExit(() => { rmSync(dir, { recursive: true, force: true }) })
      writeFileSync(config, ngircdConfig(port, dir))
      const proc = startProcess('ngircd', 'ngircd', ['--nodaemon', '--config', config])
      const stop = async (): Promise<void> => {
        await proc.stop()
        removeDir()
      }
      try {
        await waitForPort(proc, port)
      } catch (err) {
        await stop()
        throw err
      }
      return { name: 'ngircd', process: proc, endpoint: { protocol: 'irc', port }, stop }
    }
  }
}

function ngircdConfig (port: number, dir: string): string {
  return `[Global]
  Name = bench.irc
  Info = benchmark peer
  Listen = 127.0.0.1
  Ports = ${port}
  MotdPhrase = "bench"
  PidFile = ${join(dir, 'ngircd.pid')}
  ServerUID = 0
  ServerGID = 0
[Limits]
  MaxConnections = 0
  MaxConnectionsIP = 0
  MaxJoins = 0
  MaxNickLength = 9
  MaxPenaltyTime = 0
  PingTimeout = 600
  PongTimeout = 600
[Options]
  DNS = no
  Ident = no
  PAM = no
  RequireAuthPing = no
`
}

const SPACE = 0x20
const COLON = 0x3a
const P = 0x50
const R = 0x52
const O = 0x4f

/**
 * IRC over a socket: NICK, USER and JOIN a channel (ready on the end of its
 * NAMES list), PRIVMSG to send. IRC does not echo a client's own messages, so
 * a publisher sends a PING after each PRIVMSG and counts the PONG as its ack
 * (the server answers in order, after relaying the message).
 */
export class IrcConnection extends SocketConnection implements LineHandler {
  private readonly lines = new LineSplitter()
  private readonly fields: TextFields = { publisher: 0, seq: 0, sentMicros: 0 }
  private readonly channel: string

  constructor (endpoint: Endpoint, spec: ConnectionSpec, receiver: Receiver) {
    super(endpoint, spec, receiver)
    this.channel = `#${spec.room}`
  }

  protected greet (): void {
    const nick = this.spec.name
    this.socket.write(`NICK ${nick}\r\nUSER ${nick} 0 * :${nick}\r\nJOIN ${this.channel}\r\n`)
  }

  protected read (chunk: Buffer): void {
    this.lines.push(chunk, this)
  }

  line (bytes: Buffer, start: number, end: number): void {
    if (bytes[start] === COLON) {
      const space = bytes.indexOf(SPACE, start)
      if (space !== -1 && space < end) {
        const c1 = bytes[space + 1]
        const c2 = bytes[space + 2]
        if (c1 === P && c2 === R) { // PRIVMSG <channel> :<text>
          const text = bytes.indexOf(' :', space)
          if (text !== -1 && text < end && parseTextBytes(bytes, text + 2, end, this.fields)) this.receiver.message(this.fields)
          return
        }
        if (c1 === P && c2 === O) { this.receiver.acked(1); return } // PONG
      }
    }
    this.control(bytes.toString('utf8', start, end))
  }

  private control (line: string): void {
    const words = line.split(' ')
    if (words[0] === 'PING') { this.socket.write(`PONG ${words.slice(1).join(' ')}\r\n`); return }
    if (words[0] === 'ERROR') { this.refused(line); return }
    const numeric = words[1] ?? ''
    if (numeric === '366') this.loggedIn() // end of NAMES: we are in the channel
    else if (/^[45]\d\d$/.test(numeric)) this.refused(line)
  }

  send (texts: string[]): void {
    let out = ''
    for (const text of texts) out += `PRIVMSG ${this.channel} :${text}\r\nPING :a\r\n`
    this.socket.write(out)
  }
}
