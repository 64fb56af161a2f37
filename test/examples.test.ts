// The examples are programs a user runs: start them as processes against a real server.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcessWithoutNullStreams } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { createServer } from '@chat/server'
import { connect } from '@chat/client'
import type { ChatClient, ChatMessage } from '@chat/client'

const examples = fileURLToPath(new URL('../../examples/dist/', import.meta.url))

function start (script: string, args: string[], env: Record<string, string> = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [examples + script, ...args], { env: { ...process.env, ...env } })
}

/** Resolves with the process's stdout once it contains `text`; fails after a generous wait. */
async function waitForOutput (child: ChildProcessWithoutNullStreams, text: string): Promise<string> {
  let output = ''
  return await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { reject(new Error(`no "${text}" in output:\n${output}`)) }, 15_000)
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes(text)) { clearTimeout(timer); resolve(output) }
    })
  })
}

async function nextMatching (client: ChatClient, accepts: (m: ChatMessage) => boolean): Promise<ChatMessage> {
  for await (const msg of client.messages({ signal: AbortSignal.timeout(15_000) })) if (accepts(msg)) return msg
  throw new Error('iterator ended')
}

test('the bot answers commands in its room and in direct messages', async t => {
  const server = createServer()
  const { port } = await server.listen({ port: 0 })
  const url = `tcp://127.0.0.1:${port}`
  const bot = start('bot.js', [url, 'lobby'], { BOT_NAME: 'helper' })
  t.after(async () => { bot.kill(); await server.close() })
  await waitForOutput(bot, 'helper is in lobby')

  const alice = await connect(url, { username: 'alice' })
  t.after(async () => { await alice.close() })
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

test('two terminal clients chat through the server', async t => {
  const server = createServer()
  const { port } = await server.listen({ port: 0 })
  const url = `tcp://127.0.0.1:${port}`
  const alice = start('chat.js', ['alice', url, 'general'])
  const bob = start('chat.js', ['bob', url, 'general'])
  t.after(async () => { alice.kill(); bob.kill(); await server.close() })
  await waitForOutput(alice, '* you are in #general')
  const bobSees = waitForOutput(bob, '<alice> hi bob')
  await waitForOutput(bob, '* you are in #general')
  alice.stdin.write('hi bob\n')
  await bobSees

  const aliceSees = waitForOutput(alice, '(dm to alice) <bob> psst')
  bob.stdin.write('/dm alice psst\n')
  await aliceSees

  const bobSeesQuit = waitForOutput(bob, 'alice left (quit) #general')
  alice.stdin.write('/quit\n')
  const [code] = await once(alice, 'exit')
  assert.equal(code, 0)
  await bobSeesQuit
})
