import assert from 'node:assert/strict'
import type { WelcomeMessage } from '@chat/protocol'
import { ChatError } from '../src/chat-error.js'
import type { ClientConnection } from '../src/client-connection.js'
import { ConnectionKeeper } from '../src/connection-keeper.js'
import type { HelloRequest } from '../src/connection-keeper.js'
import type { ConnectOptions } from '../src/options.js'
import type { StatusEvent } from '../src/status.js'
import type { Transport } from '../src/transports.js'
import { MemoryDuplex } from './fakes.js'

/** How the fake login answers a hello: the welcome, or a refusal; `hang` never answers (until aborted). */
export type LoginOutcome = 'welcome' | 'hang' | ChatError

function welcome (session: string): WelcomeMessage {
  return {
    type: 'welcome', v: 1, re: 1, username: 'Alice', registered: true, session,
    heartbeatIntervalMs: 600_000, heartbeatTimeoutMs: 1_200_000, maxFrameBytes: 65_536, maxTextBytes: 4_096
  }
}

/**
 * A keeper over in-memory connections to `urls`, with a scripted login and
 * every hook call recorded; `refuse` makes every address (or those named) refuse connections.
 */
export function setup (options: Partial<ConnectOptions> = {}, script: LoginOutcome[] = [], urls = ['tcp://memory:1']) {
  const duplexes: MemoryDuplex[] = []
  /** The address of each transport call, refused or not. */
  const dialed: string[] = []
  const hellos: HelloRequest[] = []
  const events: StatusEvent[] = []
  const reconnected: ClientConnection[] = []
  const lost: Array<{ connection: ClientConnection, code: string }> = []
  let refused: (url: string) => boolean = () => false
  let closedWith: { reason: ChatError | undefined } | undefined
  let resolveClosed!: (reason: ChatError | undefined) => void
  const closed = new Promise<ChatError | undefined>(resolve => { resolveClosed = resolve })
  const transport: Transport = async url => {
    dialed.push(url.href)
    if (refused(url.href)) throw new ChatError('connect_failed', `could not connect to ${url.href}: refused`)
    const duplex = new MemoryDuplex()
    duplexes.push(duplex)
    return duplex
  }
  const addresses = urls.map(url => ({ url: new URL(url), transport }))
  const keeper = new ConnectionKeeper(addresses, {
    username: 'alice', reconnectTimeWait: 1, reconnectJitter: 0, maxReconnectTimeWait: 2, ...options
  }, {
    onMessage: () => {},
    mustPause: () => false,
    login: async (_connection, hello, signal) => {
      hellos.push(hello)
      const outcome = script.shift() ?? 'welcome'
      if (outcome instanceof ChatError) throw outcome
      if (outcome === 'hang') {
        return await new Promise<never>((_resolve, reject) => {
          signal.addEventListener('abort', () => { reject(new ChatError('aborted', 'aborted', { cause: signal.reason })) }, { once: true })
        })
      }
      return welcome(`session-${hellos.length}`)
    },
    reconnected: connection => { reconnected.push(connection) },
    connectionLost: (connection, error) => { lost.push({ connection, code: error.code }) },
    emit: event => { events.push(event) },
    closed: reason => {
      assert.equal(closedWith, undefined, 'closed is called once')
      closedWith = { reason }
      resolveClosed(reason)
    }
  })
  const types = (): string[] => events.map(e => e.type)
  const refuse = (value: boolean | string[]): void => {
    refused = typeof value === 'boolean' ? () => value : url => value.includes(url)
  }
  return { keeper, duplexes, dialed, hellos, events, types, reconnected, lost, closed, refuse, wasClosed: () => closedWith !== undefined }
}

export async function until (condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 2))
  }
}
