// The `chat` command as a person uses it: typed lines in, printed lines out,
// against a real server on a loopback port.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { connect } from '@chat/client'
import { createServer } from '@chat/server'
import { Harness } from '@chat/testing'
import type { NodeProcess } from '@chat/testing'

const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))
const ENGLISH = { LANG: 'C.UTF-8', LC_ALL: '', LC_MESSAGES: '' }

/** A `chat` process; `expect` waits for a line on its stdout (seen from the start). */
function chat (h: Harness, args: string[], env: Record<string, string> = ENGLISH): NodeProcess & { say: (line: string) => void, expect: (pattern: RegExp | string) => Promise<RegExpMatchArray> } {
  const child = h.node([BIN, ...args], { env: { ...ENGLISH, ...env } })
  return Object.assign(child, {
    say: (line: string) => { child.write(`${line}\n`) },
    expect: async (pattern: RegExp | string) => await child.waitFor(pattern, `"${String(pattern)}" on ${args.join(' ')}'s screen`, { stream: 'stdout', ms: 15_000 })
  })
}

describe('the chat command', () => {
  it('shows a room\'s last messages on joining, then the conversation, with times', async t => {
    const h = new Harness(t)
    const { url } = await h.serve(createServer())
    const carol = await h.client(url, 'carol')
    await carol.join('general')
    for (let i = 1; i <= 25; i++) await carol.send('general', `old ${i}`)

    const alice = chat(h, ['alice', url])
    await alice.expect('* Logged in as alice.')
    await alice.expect('* You are in #general with carol.')
    await alice.expect('* The last messages of #general:')
    const shown = await alice.expect(/old 25\n/)
    assert.ok(shown.input?.includes('<carol> old 6\n'), 'the 20 newest are shown')
    assert.ok(!(shown.input ?? '').includes('old 5\n'), 'and no more')
    assert.match(shown.input ?? '', /^\[\d\d:\d\d\] #general <carol> old 25$/m)

    const bob = chat(h, ['bob', url])
    await alice.expect('* bob joined #general')
    bob.say('hi all')
    await alice.expect(/^\[\d\d:\d\d\] #general <bob> hi all$/m)
    await bob.expect(/^\[\d\d:\d\d\] #general <bob> hi all$/m)
  })

  it('sends lines to a person after /to, one message with to:, and replies with /r', async t => {
    const h = new Harness(t)
    const { url } = await h.serve(createServer())
    const alice = chat(h, ['alice', url])
    const bob = chat(h, ['bob', url])
    await alice.expect('* You are in #general')
    await bob.expect('* You are in #general')

    bob.say('/r nobody yet')
    await bob.expect('* Nobody has written to you yet.')
    alice.say('/to bob')
    await alice.expect('* Lines now go to bob (direct messages).')
    alice.say('just between us')
    await bob.expect(/^\[\d\d:\d\d\] <alice → you> just between us$/m)
    await alice.expect(/^\[\d\d:\d\d\] <you → bob> just between us$/m)

    bob.say('/r got it')
    await alice.expect(/<bob → you> got it$/m)
    bob.say('to:alice one more')
    await alice.expect(/<bob → you> one more$/m)
    bob.say('back in the room')
    await alice.expect(/#general <bob> back in the room$/m)

    alice.say('/to #general')
    await alice.expect('* Lines now go to #general.')
    alice.say('/to #elsewhere')
    await alice.expect('* You are not in #elsewhere.')
  })

  it('keeps talking in a room after leaving another, and lists rooms, members, history and help', async t => {
    const h = new Harness(t)
    const { url } = await h.serve(createServer())
    const alice = chat(h, ['alice', url])
    await alice.expect('* You are in #general, alone for now.')
    alice.say('/join dev')
    await alice.expect('* You are in #dev, alone for now.')
    alice.say('/join general')
    await alice.expect(/You are in #general, alone for now\.[\s\S]*You are in #dev[\s\S]*You are in #general, alone/)
    alice.say('/leave dev')
    await alice.expect('* You left #dev.')
    alice.say('still here')
    await alice.expect(/#general <alice> still here$/m)
    alice.say('/leave')
    await alice.expect('* You left #general.')
    await alice.expect('* Nobody to talk to yet: /join a room, or /to someone.')
    alice.say('/join general')
    alice.say('/rooms')
    await alice.expect(/^ {2}#general, 1 online$/m)
    alice.say('/members')
    await alice.expect('* In #general: alice')
    alice.say('/history 1')
    await alice.expect(/The last messages of #general:\n\[\d\d:\d\d\] #general <alice> still here\n[\s\S]*The last messages of #general:\n\[\d\d:\d\d\] #general <alice> still here\n/)
    alice.say('/help')
    await alice.expect('/r <text>           reply to whoever wrote to you last')
    alice.say('/nope')
    await alice.expect('* Unknown command /nope. /help lists them.')
    alice.say('quit')
    await alice.expect('* Bye.')
    assert.deepEqual(await alice.waitExit(), { code: 0, signal: null })
  })

  it('logs in to a registered name with CHAT_PASSWORD, and says so in words when the password is wrong', async t => {
    const h = new Harness(t)
    const { url } = await h.serve(createServer())
    const registering = await connect(url, { username: 'dora', password: 'correct horse', register: true })
    await registering.close()

    const dora = chat(h, ['--password', 'dora', url], { CHAT_PASSWORD: 'correct horse' })
    await dora.expect('* Logged in as dora.')
    dora.say('/quit')
    assert.equal((await dora.waitExit()).code, 0)

    const wrong = chat(h, ['dora', url], { CHAT_PASSWORD: 'wrong horse' })
    assert.equal((await wrong.waitExit()).code, 1)
    assert.match(wrong.stderr, /Could not log in: Wrong name or password\./)

    const taken = chat(h, ['dora', url])
    assert.equal((await taken.waitExit()).code, 1)
    assert.match(taken.stderr, /Could not log in: Wrong name or password\./)
  })

  it('speaks Chinese with --lang zh or a Chinese locale', async t => {
    const h = new Harness(t)
    const { url } = await h.serve(createServer())
    const li = chat(h, ['--lang', 'zh', 'li', url])
    await li.expect('* 已登录，用户名：li。')
    await li.expect('* 你已进入 #general，目前只有你一个人。')
    const wang = chat(h, ['wang', url], { LANG: 'zh_CN.UTF-8' })
    await wang.expect('* 已登录，用户名：wang。')
    await li.expect('* wang 加入了 #general')
    wang.say('to:li 你好')
    await li.expect(/<wang → 你> 你好$/m)
    li.say('/r')
    await li.expect('* /r 需要消息内容。')
    li.say('/oops')
    await li.expect('* 未知命令 /oops。输入 /help 查看命令列表。')
    wang.say('/quit')
    await li.expect('* wang 已退出')
    await wang.expect('* 再见。')
  })

  it('prints its usage in the chosen language and exits 2 on a bad command line', async t => {
    const h = new Harness(t)
    const noName = chat(h, [])
    assert.equal((await noName.waitExit()).code, 2)
    assert.match(noName.stderr, /Give a name to chat under\.[\s\S]*Usage: chat \[options\] <name> \[address\]/)
    const zh = chat(h, ['--lang', 'zh', '--port', 'x', 'li'])
    assert.equal((await zh.waitExit()).code, 2)
    assert.match(zh.stderr, /--port 必须是 1 到 65535 之间的数字。[\s\S]*用法：chat/)
  })
})
