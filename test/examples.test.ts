// The examples are programs a user runs: start them as processes against a real server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import type { ChatClient, ChatMessage } from '@chat/client'
import { createServer } from '@chat/server'
import { Harness } from '@chat/testing'

const examples = fileURLToPath(new URL('../../examples/dist/', import.meta.url))

/** Output to wait for is on stdout (seen from the start), and may take a while: these are whole programs. */
const onStdout = { stream: 'stdout', ms: 15_000 } as const

async function nextMatching (client: ChatClient, accepts: (m: ChatMessage) => boolean): Promise<ChatMessage> {
  for await (const msg of client.messages({ signal: AbortSignal.timeout(15_000) })) if (accepts(msg)) return msg
  throw new Error('iterator ended')
}

test('the bot answers commands in its room and in direct messages', async t => {
  const h = new Harness(t)
  const { url } = await h.serve(createServer(), { transport: 'tcp' })
  const bot = h.node([examples + 'bot.js', url, 'lobby'], { env: { BOT_NAME: 'helper' } })
  await bot.waitFor('helper is in lobby', 'the bot to join', onStdout)

  // As an app connects: with the SDK's defaults (reconnecting included).
  const alice = await h.client(url, 'alice', { reconnect: true })
  await alice.join('lobby')
  const echoed = nextMatching(alice, m => m.from === 'helper')
  await alice.send('lobby', '!echo hello there')
  const reply = await echoed
  assert.equal(reply.room, 'lobby')
  assert.equal(reply.text, 'hello there')

  const direct = nextMatching(alice, m => m.from === 'helper' && m.to === 'alice')
  await alice.dm('helper', '!who')
  assert.match((await direct).text, /^in lobby: .*helper.*alice|^in lobby: .*alice.*helper/)
})
