/**
 * A terminal chat client.
 *
 *   node examples/dist/chat.js <username> [tcp://127.0.0.1:7777] [room]
 *
 * Type a line to send it to the current room. Commands:
 *   /join <room>   join (and switch to) a room     /leave [room]   leave a room
 *   /dm <user> <text>   direct message             /rooms          list rooms
 *   /members [room]     who is in a room           /quit           say goodbye
 */
import { createInterface } from 'node:readline'
import { connect, ChatError } from '@chat/client'
import type { ChatClient, ChatMessage } from '@chat/client'

const [username, url = 'tcp://127.0.0.1:7777', firstRoom = 'general'] = process.argv.slice(2)
if (username === undefined) {
  console.error('usage: chat <username> [tcp://host:port] [room]')
  process.exit(2)
}

function time (ts: number): string {
  return new Date(ts).toTimeString().slice(0, 8)
}

function show (msg: ChatMessage): void {
  const where = msg.room !== undefined ? `#${msg.room}` : `(dm to ${msg.to ?? '?'})`
  console.log(`[${time(msg.ts)}] ${where} <${msg.from}> ${msg.text}`)
}

async function run (client: ChatClient, line: string, state: { room: string | undefined }): Promise<boolean> {
  const [command, arg, ...rest] = line.split(' ')
  switch (command) {
    case '/quit': return false
    case '/join': {
      const joined = await client.join(arg)
      state.room = joined.room
      console.log(`* you are in #${joined.room} with ${joined.members.join(', ')}`)
      return true
    }
    case '/leave':
      await client.leave(arg ?? state.room ?? '')
      console.log(`* you left #${arg ?? state.room}`)
      if (arg === undefined || arg === state.room) state.room = undefined
      return true
    case '/dm':
      await client.dm(arg, rest.join(' '))
      return true
    case '/rooms':
      for (const r of await client.rooms()) console.log(`* #${r.room} (${r.members})`)
      return true
    case '/members':
      console.log(`* ${(await client.members(arg ?? state.room ?? '')).join(', ')}`)
      return true
  }
  if (command.startsWith('/')) {
    console.log('* commands: /join /leave /dm /rooms /members /quit')
  } else if (state.room === undefined) {
    console.log('* join a room first: /join <room>')
  } else {
    await client.send(state.room, line)
  }
  return true
}

let client: ChatClient
try {
  client = await connect(url, { username })
} catch (err) {
  console.error(`* could not log in: ${err instanceof ChatError ? `${err.code}: ${err.message}` : String(err)}`)
  process.exit(1)
}
const state = { room: undefined as string | undefined }
console.log(`* logged in as ${client.username}`)
await run(client, `/join ${firstRoom}`, state)

void (async () => {
  for await (const msg of client.messages()) show(msg)
})().catch(() => {})
void (async () => {
  for await (const ev of client.events()) {
    console.log(`* ${ev.user} ${ev.type === 'join' ? 'joined' : `left (${ev.reason ?? 'left'})`} #${ev.room}`)
  }
})().catch(() => {})

void (async () => {
  for await (const s of client.status()) {
    if (s.type === 'disconnect') console.log(`* connection lost (${s.error.code}), reconnecting...`)
    if (s.type === 'reconnect') console.log('* reconnected')
  }
})()

void client.closed.then(reason => {
  if (reason === undefined) return
  console.log(`* disconnected: ${reason.code}: ${reason.message}`)
  process.exit(1)
})

const input = createInterface({ input: process.stdin })
input.on('close', () => { void client.close() })
for await (const raw of input) {
  const line = raw.trim()
  if (line === '') continue
  try {
    if (!await run(client, line, state)) break
  } catch (err) {
    console.log(`* ${err instanceof ChatError ? `${err.code}: ${err.message}` : String(err)}`)
  }
}
input.close()
await client.close()
