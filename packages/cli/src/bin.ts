import { createInterface } from 'node:readline'
import { clearLine, cursorTo } from 'node:readline'
import { connect, ChatError } from '@chat/client'
import type { ChatClient } from '@chat/client'
import { translator } from '@chat/strings'
import { languageOf, parseCommandLine, UsageError } from './cli-options.js'
import { LineFormat, style, wantsColour } from './line-format.js'
import { readPassword } from './password-prompt.js'
import { TerminalChat } from './terminal-chat.js'
import type { Printer } from './terminal-chat.js'

const argv = process.argv.slice(2)
const words = translator(languageOf(argv, process.env))

let command
try {
  command = parseCommandLine(argv, process.env)
} catch (err) {
  if (!(err instanceof UsageError)) throw err
  console.error(`chat: ${words.t(err.key, err.params)}\n\n${words.t('cli.usage')}`)
  process.exit(2)
}
if (command.help) {
  console.log(words.t('cli.usage'))
  process.exit(0)
}
const options = command.options

// CHAT_PASSWORD lets scripts log in; --password (or --register) asks for it when it is not set.
let password = process.env.CHAT_PASSWORD
if (password === undefined && options.askPassword) {
  try {
    password = await readPassword(words.t('login.passwordPrompt', { user: options.username }), process.stdin, process.stderr)
  } catch {
    process.exit(130)
  }
}
if (options.askPassword && (password === undefined || password === '')) {
  console.error(`chat: ${words.t('cli.passwordNeeded')}`)
  process.exit(2)
}

let client: ChatClient
try {
  client = await connect(options.url, { username: options.username, password, register: options.register })
} catch (err) {
  const reason = err instanceof ChatError ? words.error(err.code) : String(err)
  console.error(words.t('login.failed', { reason }))
  process.exit(1)
}

const input = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true && process.stdout.isTTY === true })
// Take lines from now on: readline drops those that arrive before its iterator exists (typed while we join).
const lines = input[Symbol.asyncIterator]()
const onTerminal = process.stdout.isTTY === true && process.stdin.isTTY === true
const lineStyle = style(wantsColour(process.env, process.stdout.isTTY))
/** The prompt, after the status line (who is typing) when there is one. */
let prompt = '> '
/**
 * On a terminal, a line that arrives is printed above what the user is typing, which is drawn again below it;
 * the status line goes before the prompt. Off a terminal (a script's pipe) there is no status line.
 */
let inputClosed = false
input.once('close', () => { inputClosed = true })
const printer: Printer = {
  print: line => {
    // No prompt once the input is closed: drawing one would read the terminal again, and keep the process alive.
    if (!onTerminal || inputClosed) {
      process.stdout.write(`${line}\n`)
      return
    }
    clearLine(process.stdout, 0)
    cursorTo(process.stdout, 0)
    process.stdout.write(`${line}\n`)
    input.prompt(true)
  },
  status: text => {
    if (!onTerminal || inputClosed) return
    prompt = text === '' ? '> ' : `${lineStyle.notice(text)} > `
    input.setPrompt(prompt)
    clearLine(process.stdout, 0)
    cursorTo(process.stdout, 0)
    input.prompt(true)
  }
}
const format = new LineFormat(() => client.username, words, lineStyle)
const chat = new TerminalChat(client, words, format, printer)
const following = chat.follow()

printer.print(format.notice(words.t(options.register ? 'login.registered' : 'login.done', { user: client.username })))
await chat.handle(`/join ${options.room}`)
input.setPrompt(prompt)
if (onTerminal) {
  input.prompt()
  // readline handles each key first (this listener comes after its own), so `line` is the line as it now stands.
  process.stdin.on('keypress', () => { chat.typed(input.line) })
}

// The server or the network ended the session for good: say why (the status line did) and stop.
void client.closed.then(reason => {
  if (reason !== undefined) {
    input.close()
    process.exitCode = 1
  }
})

for await (const raw of { [Symbol.asyncIterator]: () => lines }) {
  const line = raw.trim()
  if (line !== '' && !await chat.handle(line)) break
  if (onTerminal) input.prompt()
}
input.close()
await chat.finish()
await client.close()
await following
printer.print(format.notice(words.t('connection.bye')))
