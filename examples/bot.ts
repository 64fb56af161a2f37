/**
 * A bot that answers in a room and in direct messages:
 *   !echo <text>   repeats the text
 *   !time          the server time of your message
 *   !who           who is in the room
 *
 *   node examples/dist/bot.js [tcp://127.0.0.1:7777] [room]
 */
import { connect, ChatError } from '@chat/client'
import type { ChatClient, ChatMessage } from '@chat/client'

const url = process.argv[2] ?? 'tcp://127.0.0.1:7777'
const room = process.argv[3] ?? 'general'
const name = process.env.BOT_NAME ?? 'bot'

/** The bot's reply to a message, or undefined when it has nothing to say. */
async function answer (client: ChatClient, msg: ChatMessage): Promise<string | undefined> {
  const [command, ...rest] = msg.text.trim().split(/\s+/)
  switch (command) {
    case '!echo': return rest.join(' ')
    case '!time': return `${msg.from}, your message arrived at ${new Date(msg.ts).toISOString()}`
    case '!who': return `in ${room}: ${(await client.members(room)).join(', ')}`
    default: return undefined
  }
}

const client = await connect(url, { username: name })
await client.join(room)
console.log(`${name} is in ${room} on ${url}`)

const stop = (): void => { void client.close() }
process.once('SIGINT', stop)
process.once('SIGTERM', stop)

try {
  for await (const msg of client.messages()) {
    if (msg.from === client.username) continue
    const reply = await answer(client, msg)
    if (reply === undefined) continue
    try {
      if (msg.room !== undefined) await client.send(msg.room, reply)
      else await client.dm(msg.from, reply)
    } catch (err) {
      // The asker may have gone away: not a reason for the bot to stop.
      if (!(err instanceof ChatError)) throw err
      console.error(`could not answer ${msg.from}: ${err.code}`)
    }
  }
} catch (err) {
  console.error(`disconnected: ${err instanceof ChatError ? err.code : String(err)}`)
  process.exitCode = 1
}
