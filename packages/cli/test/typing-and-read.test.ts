// The `chat` command and typing indicators and read markers: on a real terminal (a pseudo-terminal
// from script(1)) it shows who is typing before its prompt and says we type as keys are pressed;
// anywhere, a registered user's printed lines are marked read.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { TypingEvent } from '@chat/client'
import { connect } from '@chat/client'
import { createServer } from '@chat/server'
import { Collected, collectMessages, Harness, within } from '@chat/testing'
import type { NodeProcess } from '@chat/testing'

const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))
const SCRIPT = '/usr/bin/script'
const ENV = { LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '', NO_COLOR: '1' }
const PASSWORD = 'correct horse battery staple'

type Chat = NodeProcess & { expect: (pattern: RegExp | string) => Promise<RegExpMatchArray> }

function expecting (child: NodeProcess, what: string): Chat {
  return Object.assign(child, {
    expect: async (pattern: RegExp | string) => await child.waitFor(pattern, `"${String(pattern)}" on ${what}'s screen`, { stream: 'stdout', ms: 15_000 })
  })
}

/** `chat` on a pseudo-terminal: what is written is typed, key by key, as on a keyboard. */
function onTerminal (h: Harness, args: string[], env: Record<string, string> = {}): Chat {
  const quote = (arg: string): string => `'${arg.replace(/'/g, "'\\''")}'`
  const command = [process.execPath, BIN, ...args].map(quote).join(' ')
  return expecting(h.node(['-qfec', command, '/dev/null'], { command: SCRIPT, env: { ...ENV, ...env } }), args.join(' '))
}

async function registered (url: string, username: string): Promise<void> {
  const client = await connect(url, { username, password: PASSWORD, register: true })
  await client.close()
}

describe('the chat command, typing and read markers', () => {
  it('on a terminal: says "ben is typing…" before the prompt, and sends typing as keys are pressed', { skip: existsSync(SCRIPT) ? false : 'no script(1) for a pseudo-terminal' }, async t => {
    const h = new Harness(t)
    const { url } = await h.serve(createServer())
    const ben = await h.client(url, 'ben')
    await ben.join('general')
    const benSees = new Collected<TypingEvent>(ben.events({ types: ['typing'] }), 'ben\'s typing events')
    const benMessages = collectMessages(ben, { room: 'general' }, 'ben')

    const ann = onTerminal(h, ['ann', url])
    await ann.expect('* You are in #general with ben.')
    ben.typing('general')
    await ann.expect('ben is typing… > ')
    await ben.send('general', 'a line from ben')
    await ann.expect(/<ben> a line from ben/)

    ann.write('hel')
    await benSees.until(items => items.some(e => e.user === 'ann' && e.active), 'ann\'s keys to say she types')
    ann.write('lo\r')
    await benMessages.until(items => items.some(m => m.text === 'hello' && m.from === 'ann'), 'ann\'s line')
    await benSees.until(items => items.at(-1)?.active === false, 'ann\'s typing to end with her line')
    ann.write('/quit\r')
    assert.equal((await within(ann.exited, 'ann to quit')).code, 0)
  })

  it('in Chinese on a terminal: 正在输入', { skip: existsSync(SCRIPT) ? false : 'no script(1) for a pseudo-terminal' }, async t => {
    const h = new Harness(t)
    const { url } = await h.serve(createServer())
    const [ben, carl] = [await h.client(url, 'ben'), await h.client(url, 'carl')]
    await ben.join('general')
    await carl.join('general')
    const ann = onTerminal(h, ['--lang', 'zh', 'ann', url])
    await ann.expect(/#general/)
    ben.typing('general')
    carl.typing('general')
    await ann.expect(/ben 和 carl 正在输入… > |carl 和 ben 正在输入… > /)
    ann.write('/quit\r')
    await within(ann.exited, 'ann to quit')
  })

  it('marks read what it printed for a registered user: the next login finds nothing unread', async t => {
    const h = new Harness(t)
    const { url } = await h.serve(createServer())
    await registered(url, 'dora')
    const [carl] = await h.clientsIn(url, 'general', ['carl'])
    for (let i = 1; i <= 3; i++) await carl.send('general', `before ${i}`)
    const dora = expecting(h.node([BIN, '--password', 'dora', url], { env: { ...ENV, CHAT_PASSWORD: PASSWORD } }), 'dora')
    await dora.expect('* You are in #general with carl.')
    await dora.expect('* 3 unread in #general since you last read it')
    await dora.expect(/<carl> before 3\n/)
    for (let i = 1; i <= 4; i++) await carl.send('general', `live ${i}`)
    await carl.dm('dora', 'psst')
    await dora.expect(/<carl → you> psst\n/)
    await dora.expect(/<carl> live 4\n/)

    // What was printed is marked read, the last lines too: quitting marks them before it closes.
    dora.write('/quit\n')
    assert.equal((await within(dora.exited, 'dora to quit')).code, 0)
    const again = await h.client(url, 'dora', { password: PASSWORD })
    const joined = await again.join('general')
    assert.deepEqual([joined.read, joined.unread], [7, 0])
    assert.deepEqual(await again.unread({ with: 'carl' }), { read: 1, unread: 0, lastId: 1 })
  })
})
