import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { Harness, within } from '@chat/testing'
import type { RawClient } from '@chat/testing'
import type { NodeProcess } from '@chat/testing'

/** The server in a process of its own, where its memory can be measured: dist/test/server-probe.fixture.js. */
const PROBE = fileURLToPath(new URL('./server-probe.fixture.js', import.meta.url))

interface Memory { rss: number, heapUsed: number, external: number, connections: number, inboundBytes: number }

/** Asks the probe for its memory, after a full garbage collection. */
async function memoryOf (probe: NodeProcess): Promise<Memory> {
  const n = (probe.stdout.match(/^mem /gm) ?? []).length + 1
  probe.write('mem\n')
  const [, json] = await probe.waitFor(new RegExp(`^mem ${n} (.*)$`, 'm'), `memory report ${n}`, { stream: 'stdout' })
  return JSON.parse(json) as Memory
}

/** Asks until `condition` holds (a few times a second); fails after a while. */
async function waitFor (probe: NodeProcess, condition: (m: Memory) => boolean, what: string): Promise<Memory> {
  return await within((async () => {
    for (;;) {
      const m = await memoryOf(probe)
      if (condition(m)) return m
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  })(), what, 60_000)
}

/** What the server holds in JavaScript objects and buffers (RSS also counts what the allocator keeps for later). */
function held (m: Memory): number {
  return m.heapUsed + m.external
}

/** Sends `bytes` to every client, one byte per client per turn: each its own TCP write, as a trickling attacker does. */
async function trickle (clients: RawClient[], bytes: number): Promise<void> {
  const one = Uint8Array.of(0x20)
  for (let i = 0; i < bytes; i++) {
    for (const client of clients) client.sendRaw(one)
    await new Promise(resolve => setImmediate(resolve))
  }
}

const MiB = 1024 * 1024

describe('memory a client can make the server hold', () => {
  it('a 64 KiB frame sent a byte at a time costs about its own size, and is freed when its connection closes', async t => {
    const h = new Harness(t)
    const probe = h.node(['--expose-gc', PROBE, JSON.stringify({ authMode: 'open', maxConnectionsPerIp: 1000 })])
    const [, port] = await probe.waitFor(/listening on [^\s]+:(\d+)/, 'the probe to listen')
    const sockets = 200
    const clients: RawClient[] = []
    for (let i = 0; i < sockets; i++) {
      const client = await h.raw(Number(port), `u${i}`)
      await client.login(`u${i}`)
      clients.push(client)
    }
    const before = await memoryOf(probe)
    // The header of a 64 KiB frame (the largest allowed), then its body a byte per write.
    for (const client of clients) client.sendRaw(Uint8Array.of(0x80, 0x80, 0x04))
    const bytes = 2_000
    await within(trickle(clients, bytes), 'the trickle', 120_000)
    await waitFor(probe, m => m.inboundBytes === sockets * bytes, 'the server to have read every byte')
    const during = await memoryOf(probe)
    const perByte = (held(during) - held(before)) / (sockets * bytes)
    const rssPerByte = (during.rss - before.rss) / (sockets * bytes)
    t.diagnostic(`${sockets} connections, ${bytes} bytes of a frame each: ${perByte.toFixed(1)} bytes of heap and buffers held per byte received, ` +
      `${rssPerByte.toFixed(1)} of RSS ` +
      `(heap+external ${(held(before) / MiB).toFixed(1)} -> ${(held(during) / MiB).toFixed(1)} MiB, RSS ${(before.rss / MiB).toFixed(1)} -> ${(during.rss / MiB).toFixed(1)} MiB)`)
    // About its own size: the buffer doubles as the frame grows, so up to 2 bytes per byte, and a little per chunk read.
    // (Before, the chunks were kept: 40-50 bytes of objects per byte, and 140 of RSS.)
    assert.ok(perByte < 8, `${perByte.toFixed(1)} bytes held per byte received`)
    assert.ok(rssPerByte < 50, `RSS grew ${rssPerByte.toFixed(1)} bytes per byte received`)

    for (const client of clients) client.destroy()
    const after = await waitFor(probe, m => m.connections === 0, 'the server to see every close')
    t.diagnostic(`after the close: heap+external ${(held(after) / MiB).toFixed(1)} MiB, RSS ${(after.rss / MiB).toFixed(1)} MiB`)
    assert.ok(held(after) - held(before) < 2 * MiB, `${((held(after) - held(before)) / MiB).toFixed(1)} MiB still held after every connection closed`)
  })
})
