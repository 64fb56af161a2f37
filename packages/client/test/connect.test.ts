import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { connect } from '../src/index.js'

test('an address that is not a URL is refused with connect_failed', async () => {
  await assert.rejects(connect('not a url', { username: 'alice' }), { name: 'ChatError', code: 'connect_failed' })
})

test('an address with another scheme is refused with connect_failed', async () => {
  await assert.rejects(connect('http://127.0.0.1:1', { username: 'alice' }), { code: 'connect_failed' })
})

test('a connection closed by the peer before the welcome rejects with connection_closed', async () => {
  const server = createServer(socket => { socket.destroy() })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  try {
    await assert.rejects(connect(`tcp://127.0.0.1:${port}`, { username: 'alice' }), { code: 'connection_closed' })
  } finally {
    server.close()
  }
})

test('garbage from the server ends the login with the protocol error code', async () => {
  const server = createServer(socket => { socket.end(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  try {
    await assert.rejects(connect(`tcp://127.0.0.1:${port}`, { username: 'alice' }), { code: 'frame_too_large' })
  } finally {
    server.close()
  }
})
