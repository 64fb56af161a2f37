// Clients for the server's listeners below the SDK: raw HTTP over a socket, raw protocol over a WebSocket or TLS.
import { connect as netConnect } from 'node:net'
import type { Socket } from 'node:net'
import { connect as tlsConnect } from 'node:tls'
import type { TLSSocket } from 'node:tls'
import { once } from 'node:events'
import { WebSocket } from 'ws'
import type { ClientOptions } from 'ws'
import { tcpDuplex, wsDuplex } from '@chat/transport'
import { RawClient, within } from '@chat/testing'
import type { Harness } from '@chat/testing'

/** A plain TCP socket to `port`, destroyed after the test. */
export async function socketTo (h: Harness, port: number): Promise<Socket> {
  const socket = netConnect({ host: '127.0.0.1', port })
  socket.on('error', () => {})
  h.defer('destroying a socket', () => { socket.destroy() })
  await within(once(socket, 'connect'), `a socket to connect to port ${port}`)
  return socket
}

/** Everything `socket` receives until it closes (as latin1 text), and how long that took. */
export async function readUntilClosed (socket: Socket, what: string, ms?: number): Promise<{ text: string, ms: number }> {
  const started = Date.now()
  let text = ''
  socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1') })
  // Not once(): an error (a reset, a refused certificate) is a way to close too.
  if (!socket.destroyed) await within(new Promise(resolve => { socket.once('close', resolve) }), what, ms)
  return { text, ms: Date.now() - started }
}

/** Sends a raw HTTP request on a new socket and resolves with the whole response once the server closes. */
export async function rawHttp (h: Harness, port: number, request: string): Promise<string> {
  const socket = await socketTo(h, port)
  socket.write(request)
  return (await readUntilClosed(socket, 'the server to answer and close')).text
}

/** Sends a raw HTTP request on a new socket and resolves with the response's head (status line and headers), without waiting for a close. */
export async function httpHead (h: Harness, port: number, request: string): Promise<string> {
  const socket = await socketTo(h, port)
  socket.write(request)
  let text = ''
  await within(new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1')
      if (text.includes('\r\n\r\n')) resolve()
    })
    socket.once('close', () => { reject(new Error(`closed before the response's head: ${JSON.stringify(text)}`)) })
  }), 'the response\'s head')
  socket.destroy()
  return text.slice(0, text.indexOf('\r\n\r\n') + 2)
}

/** The headers of a WebSocket upgrade request to `path`, with a valid key. */
export function upgradeRequest (path: string, headers: Record<string, string> = {}): string {
  const all = {
    Host: '127.0.0.1',
    Connection: 'Upgrade',
    Upgrade: 'websocket',
    'Sec-WebSocket-Version': '13',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...headers
  }
  return `GET ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`
}

/** An open WebSocket (the `ws` package, as the SDK's), terminated after the test. Rejects with ws's error if the handshake fails. */
export async function openWebSocket (h: Harness, url: string, options: ClientOptions = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options })
  h.defer('terminating a WebSocket', () => { ws.terminate() })
  await within(new Promise<void>((resolve, reject) => {
    ws.once('open', resolve)
    ws.once('error', reject)
  }), `a WebSocket to ${url} to open`)
  return ws
}

/** A raw protocol client over a WebSocket (a RawClient over `wsDuplex`). */
export async function rawWs (h: Harness, url: string, name: string, options: ClientOptions = {}): Promise<RawClient> {
  const ws = await openWebSocket(h, url, options)
  const client = new RawClient(wsDuplex(ws, url), name)
  h.defer(`closing ${name}`, async () => { await client.close() })
  return client
}

/** A raw protocol client over TLS, trusting `ca`. */
export async function rawTls (h: Harness, port: number, name: string, ca: string): Promise<{ client: RawClient, socket: TLSSocket }> {
  const socket = tlsConnect({ host: '127.0.0.1', port, ca })
  socket.on('error', () => {})
  h.defer(`destroying ${name}'s socket`, () => { socket.destroy() })
  await within(once(socket, 'secureConnect'), `${name}'s TLS handshake`)
  const client = new RawClient(tcpDuplex(socket), name)
  h.defer(`closing ${name}`, async () => { await client.close() })
  return { client, socket }
}

/** The fingerprint of the certificate a new TLS connection to `port` is shown (trusting `ca`). */
export async function certificateSeen (h: Harness, port: number, ca: string): Promise<string> {
  const socket = tlsConnect({ host: '127.0.0.1', port, ca })
  socket.on('error', () => {})
  h.defer('destroying a probe', () => { socket.destroy() })
  await within(once(socket, 'secureConnect'), 'a TLS handshake')
  const fingerprint = socket.getPeerX509Certificate()!.fingerprint256
  socket.destroy()
  return fingerprint
}
