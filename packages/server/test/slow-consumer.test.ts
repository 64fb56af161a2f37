import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { encodeFrame } from '@chat/protocol'
import type { ChatMessage } from '@chat/protocol'
import { Harness } from '@chat/testing'
import { NO_RATE_LIMITS, createServer } from '../src/index.js'

const MAX_QUEUED_BYTES = 256 * 1024
const TEXT = 'x'.repeat(2_000)
const WINDOW = 32
/** Enough to fill any kernel buffers between the server and a reader that stopped, many times over. */
const MAX_MESSAGES = 20_000
/** Messages published after the slow consumer was dropped, to check the room carries on. */
const AFTER = 256

describe('slow consumers', () => {
  // Over TCP, what the kernel's socket buffers hold before the server's queue fills is part of the story;
  // in memory, the duplex holds a socket's 16 KiB.
  for (const over of ['TCP', 'memory'] as const) {
    it(`drops a member that stops reading, bounds its queue, and delivers everything in order to the others${over === 'TCP' ? '' : ' (in memory)'}`, { timeout: 120_000 }, async t => {
      const h = new Harness(t)
      const server = createServer({ maxQueuedBytes: MAX_QUEUED_BYTES, closeTimeoutMs: 500, rateLimits: NO_RATE_LIMITS })
      const target = over === 'TCP' ? (await h.serve(server)).port : server
      let sampler: NodeJS.Timeout | undefined
      h.defer('stopping the sampler', () => { clearInterval(sampler) })
      const alice = await h.user(target, 'alice')
      const bob = await h.user(target, 'bob')
      const slow = await h.user(target, 'slow', { autoPong: false })
      for (const client of [alice, bob, slow]) await client.join('general')
      await alice.nextOfType('presence', m => m.user === 'slow')
      await bob.nextOfType('presence', m => m.user === 'slow')
      // From here on the slow client reads nothing: the transport's buffers fill, then the server's queue.
      slow.pause()

      const frameBytes = encodeFrame({ type: 'msg', id: MAX_MESSAGES, room: 'general', from: 'alice', text: TEXT, ts: Date.now() }).byteLength
      const bound = MAX_QUEUED_BYTES + 64 * 1024 + frameBytes
      let maxSeen = 0
      const sample = (): void => { maxSeen = Math.max(maxSeen, server.stats().maxQueuedBytes) }
      sampler = setInterval(sample, 1)

      let slowGone = false
      void alice.nextOfType('presence', m => m.event === 'leave' && m.user === 'slow', 120_000).then(leave => {
        assert.equal(leave.reason, 'disconnected')
        slowGone = true
      }, () => {})

      let published = 0
      const publishWindow = async (): Promise<void> => {
        let lastReq = 0
        for (let i = 0; i < WINDOW; i++) {
          lastReq = alice.req()
          alice.send({ type: 'send', req: lastReq, room: 'general', text: TEXT })
          published++
          sample()
        }
        const ack = await alice.nextOfType('ack', m => m.re === lastReq)
        assert.equal(ack.id, published)
        sample()
        await bob.nextOfType('msg', m => m.id === published)
        sample()
      }
      while (!slowGone && published < MAX_MESSAGES) await publishWindow()
      assert.ok(slowGone, `the slow consumer was dropped within ${published} messages`)
      const goneAt = published
      for (let i = 0; i < AFTER / WINDOW; i++) await publishWindow()
      clearInterval(sampler)

      t.diagnostic(`slow consumer dropped after ${goneAt} messages; stats().maxQueuedBytes peaked at ${maxSeen} (bound ${bound})`)
      assert.ok(maxSeen <= bound, `server.stats().maxQueuedBytes peaked at ${maxSeen}, over the bound of ${bound}`)
      assert.ok(maxSeen > 0)

      // Every other member got every message, in order, intact.
      for (const client of [alice, bob]) {
        const msgs = client.received.filter((m): m is ChatMessage => m.type === 'msg')
        assert.equal(msgs.length, published, client.name)
        for (let i = 0; i < msgs.length; i++) {
          if (msgs[i].id !== i + 1 || msgs[i].text !== TEXT || msgs[i].from !== 'alice') {
            assert.fail(`${client.name}: message ${i} is ${JSON.stringify(msgs[i]).slice(0, 100)}`)
          }
        }
        assert.equal(client.isClosed, false)
        assert.equal(client.decodeError, undefined)
      }
      assert.ok(goneAt < published)

      // The slow one reads again: it gets what was already on its way, a clean prefix of the room, then the close.
      slow.resume()
      await slow.waitClosed('the close after what was on its way', 30_000)
      assert.equal(slow.decodeError, undefined, 'the stream stayed frame-aligned after the queue was dropped')
      const slowMsgs = slow.received.filter((m): m is ChatMessage => m.type === 'msg')
      assert.ok(slowMsgs.length < goneAt)
      slowMsgs.forEach((m, i) => { assert.equal(m.id, i + 1) })
      const errors = slow.received.filter(m => m.type === 'error')
      t.diagnostic(`the slow client read ${slowMsgs.length} messages after resuming, ${errors.length > 0 ? 'then the slow_consumer error' : 'and no error frame'}`)
      if (errors.length > 0) {
        assert.equal(errors.length, 1)
        assert.deepEqual({ code: errors[0].type === 'error' && errors[0].code, fatal: errors[0].type === 'error' && errors[0].fatal },
          { code: 'slow_consumer', fatal: true })
        assert.equal(slow.received.at(-1), errors[0], 'the error is the last thing sent')
      }
      const members = await alice.request({ type: 'members', room: 'general' })
      assert.deepEqual(members.type === 'member_list' && members.members, ['alice', 'bob'])
    })
  }
})
