import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Harness } from '@chat/testing'

/** Files served by path: `/` and the like, with their content type. */
export type Files = Record<string, { type: string, body: string }>

/** A plain HTTP server for a test page, on a free loopback port; its origin is what the page's requests carry. Closed after the test. */
export async function servePage (h: Harness, files: Files): Promise<{ origin: string }> {
  const server = createServer((request, response) => {
    const file = files[new URL(request.url ?? '/', 'http://x').pathname]
    if (file === undefined) {
      response.writeHead(404).end()
      return
    }
    response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body)
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  h.defer('closing the page server', async () => {
    server.closeAllConnections()
    await new Promise(resolve => server.close(resolve))
  })
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }
}
