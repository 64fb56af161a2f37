import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createServer as createNetServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { Harness } from '@chat/testing'
import { createServer } from '../src/index.js'

describe('listen()', () => {
  it('with an HTTP port that is taken: rejects, leaves nothing listening, and may be called again', async t => {
    const h = new Harness(t)
    const taken = createNetServer().listen(0, '127.0.0.1')
    await once(taken, 'listening')
    h.defer('closing the port holder', async () => { await new Promise(resolve => taken.close(resolve)) })
    const busy = (taken.address() as AddressInfo).port
    const server = h.own(createServer())
    await assert.rejects(server.listen({ port: 0, httpPort: busy }), /EADDRINUSE/)
    assert.equal(server.address(), undefined)
    assert.equal(server.httpAddress(), undefined)
    const address = await server.listen({ port: 0, httpPort: 0 })
    assert.equal(server.address()?.port, address.port)
    assert.ok(server.httpAddress()!.port > 0)
    await assert.rejects(server.listen({ port: 0 }), /listens already/)
  })

  it('without httpPort there is no HTTP listener (the CLI\'s default of 7780 is the CLI\'s)', async t => {
    const h = new Harness(t)
    const server = h.own(createServer())
    await server.listen({ port: 0 })
    assert.equal(server.httpAddress(), undefined)
  })
})
