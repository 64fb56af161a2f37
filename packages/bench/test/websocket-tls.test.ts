import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { killAllStarted } from '../src/child-processes.js'
import { runLoad } from '../src/load/load-generator.js'
import type { TargetKind } from '../src/load/target.js'
import { parseOptions } from '../src/options.js'
import { transportGoalsReport } from '../src/scenarios/transport-goals.js'
import { chatSdkTarget } from '../src/targets/chat-sdk-target.js'
import { chatTlsTarget } from '../src/targets/chat-tls-target.js'
import { chatWsTarget } from '../src/targets/chat-ws-target.js'
import { FrameScanner } from '../src/targets/frame-scanner.js'
import { MAX_MESSAGE_BYTES, messagesOf } from '../src/targets/ws-carrier.js'
import { frameLatin1 } from '@chat/protocol/fast'

// The WebSocket, TLS and SDK rows: their pieces, and one short load each against a real server. No timing is asserted.

describe('WebSocket carrier', () => {
  it('cuts a batch into messages of at most MAX_MESSAGE_BYTES that read back as the same frames', () => {
    let wire = ''
    for (let i = 0; i < 2000; i++) wire += frameLatin1(`{"type":"send","req":${i},"room":"bench","text":"${'x'.repeat(64)}"}`)
    const bytes = Buffer.from(wire, 'latin1')
    const messages = messagesOf(bytes)
    assert.ok(messages.length > 1)
    assert.ok(messages.every(m => m.byteLength <= MAX_MESSAGE_BYTES && m.byteLength > 0))
    assert.deepEqual(Buffer.concat(messages), bytes)
    const scanner = new FrameScanner()
    let frames = 0
    for (const m of messages) scanner.push(m, { frame: () => { frames++ } })
    assert.equal(frames, 2000)
    assert.equal(messagesOf(bytes.subarray(0, 100)).length, 1, 'a small batch is one message')
  })
})

describe('--targets', () => {
  it('names our server\'s WebSocket, TLS and SDK rows as well as the peers; refuses unknown names', () => {
    assert.deepEqual(parseOptions(['--targets', 'chat-ws,chat-tls,chat-sdk,socket.io'])?.targets, ['chat-ws', 'chat-tls', 'chat-sdk', 'socket.io'])
    assert.deepEqual(parseOptions(['--targets', 'none'])?.targets, [])
    assert.equal(parseOptions([])?.targets, undefined, 'all by default')
    assert.deepEqual(parseOptions(['--quick'])?.targets, [], 'a quick run: chat and baseline only')
    assert.throws(() => parseOptions(['--targets', 'chat-wss']), /unknown target chat-wss/)
  })
})

describe('issue 11 goals', () => {
  const report = (scenario: string, rows: Array<Record<string, unknown>>): { scenario: string, title: string, columns: [], rows: Array<Record<string, unknown>>, notes: [], results: [] } =>
    ({ scenario, title: '', columns: [], rows, notes: [], results: [] })

  it('judge the WebSocket rows against socket.io and our TCP row, an invalid row never meeting them', () => {
    const goals = transportGoalsReport([
      report('fanout-s100-p1', [{ target: 'chat-ws', valid: true, xSocketio: 25, xChat: 0.75 }, { target: 'chat-tls', valid: true, xChat: 0.6, serverNsPerDelivery: 120, xChatServerCost: 1.8 }, { target: 'chat', serverNsPerDelivery: 66 }]),
      report('fanout-s10-p10', [{ target: 'chat-ws', valid: false, xSocketio: 25, xChat: 0.9 }])
    ])
    const met = Object.fromEntries(goals.rows.map(r => [String(r.goal), r.met]))
    assert.equal(met['fanout-s100-p1: WebSocket deliveries/s vs socket.io'], true)
    assert.equal(met['fanout-s100-p1: WebSocket deliveries/s vs chat over TCP'], true)
    assert.equal(met['fanout-s10-p10: WebSocket deliveries/s vs chat over TCP'], false, 'not valid')
    const tls = goals.rows.find(r => r.goal === 'fanout-s100-p1: TLS vs chat over TCP')!
    assert.equal(tls.met, undefined, 'reported, no target')
    assert.equal(tls.measured, '0.6× deliveries/s; server 120 ns / delivery against 66 (1.8×)')
    const memory = goals.rows.find(r => String(r.goal).startsWith('10,000 idle WebSocket'))!
    assert.equal(memory.measured, 'not measured')
  })

  it('judge WebSocket memory at 10,000 connections only, with socket.io\'s figure beside it', () => {
    const at = (connected: number): Record<string, unknown> | undefined => transportGoalsReport([report('connection-scale', [
      { target: 'chat-ws', connected, kibPerConnection: 15.2 }, { target: 'socket.io', connected, kibPerConnection: 20.6 }
    ])]).rows.find(r => String(r.goal).startsWith('10,000 idle WebSocket'))
    assert.deepEqual(at(10_000), { goal: '10,000 idle WebSocket connections: server memory each', wanted: '≤ 16 KiB', measured: '15.2 KiB (socket.io: 20.6 KiB)', met: true })
    assert.equal(at(500)?.met, undefined)
    assert.match(String(at(500)?.measured), /not measured at 10,000 \(500 connected/)
  })
})

describe('a short fan-out against our server (its CLI, in a process of its own)', () => {
  after(() => { killAllStarted() })

  for (const kind of [chatWsTarget(), chatTlsTarget(), chatSdkTarget()] as TargetKind[]) {
    it(`${kind.name}: every text reaches every subscriber, in order, and every send is acknowledged`, async t => {
      const skipped = kind.unavailable()
      if (skipped !== undefined) { t.skip(skipped); return }
      const target = await kind.start()
      try {
        const result = await runLoad(target, { subscribers: 3, publishers: 2, pacing: { window: 16 }, warmupMs: 50, measureMs: 200, drainMs: 10_000 })
        assert.equal(result.valid, true, result.notes.join('; '))
        assert.ok(result.sent > 0)
        assert.equal(result.acked, result.sent)
        assert.equal(result.lost + result.outOfOrder, 0)
      } finally {
        await target.stop()
      }
    })
  }
})
