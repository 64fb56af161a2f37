import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { testTransport, urlOf, within } from '@chat/testing'
import type { TestTransport } from '@chat/testing'

/**
 * The address of a server that is down: a loopback port that was free a
 * moment ago (listened on, then closed), so connecting is refused at once.
 */
export async function deadAddress (transport: TestTransport = testTransport()): Promise<string> {
  const server = createServer()
  server.listen({ host: '127.0.0.1', port: 0 })
  await within(new Promise(resolve => server.once('listening', resolve)), 'a port to listen on')
  const { port } = server.address() as AddressInfo
  await within(new Promise(resolve => { server.close(resolve) }), 'the port to be closed again')
  return urlOf(transport, '127.0.0.1', port, port)
}
