// The web page (@chat/web) as our server serves it, in a real Chromium: people chatting
// in a room and by direct message with each other and a Node client, history read back as
// they scroll, text that stays text, two languages, a server restart mid-conversation,
// the page's weight and first paint, a narrow screen and a keyboard.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { gzipSync } from 'node:zlib'
import type { Response } from 'playwright-core'
import { createServer } from '@chat/server'
import { collectMessages, Harness, within } from '@chat/testing'
import { launchChromium } from './support/browser.js'
import { ChatPage, unexpectedErrors } from './support/chat-page.js'
import type { ShownMessage } from './support/chat-page.js'

const FAST_RECONNECT = { reconnect: true, reconnectTimeWait: 100, maxReconnectTimeWait: 500, reconnectJitter: 50, maxReconnectAttempts: -1 }
/** Everything the page loads, gzipped (min+gzip), at most. */
const BUDGET_BYTES = 100 * 1024
/** A generous bound for the first paint on loopback: the machine is shared, the figure is reported. */
const FIRST_PAINT_BOUND_MS = 5_000

const texts = (messages: ShownMessage[]): string[] => messages.map(m => m.text)

/** A server for the pages (its HTTP port serves the page and /ws), a Chromium, and the page's origin. */
async function setUp (h: Harness, options: Parameters<typeof createServer>[0] = {}) {
  const served = await h.serve(createServer(options), { transport: 'ws' })
  const browser = await launchChromium(h)
  return { ...served, browser, origin: `http://127.0.0.1:${served.httpPort!}` }
}

test('two pages and a Node client chat in a room and by direct message: members and rooms live, unread counts, the "to" selector, reply to the last writer', { timeout: 180_000 }, async t => {
  const h = new Harness(t)
  const { url, browser, origin } = await setUp(h)
  const ann = await ChatPage.open(browser, origin)
  await ann.login('ann')
  const ben = await ChatPage.open(browser, origin)
  await ben.login('ben')
  const carl = await h.client(url, 'carl')
  const carlRoom = collectMessages(carl, { room: 'general' }, 'carl')
  const carlDirect = collectMessages(carl, { direct: true }, 'carl')
  await carl.join('general')

  // Who is in the room, as they arrive; the room list with its count.
  await ann.waitForMembers(['ann (you)', 'ben', 'carl'])
  await ann.page.locator('.rooms').getByRole('button', { name: /^#general\s*3 online$/ }).waitFor()

  // In the room: everyone sees everyone's lines; ours are marked.
  await ann.say('hello from ann')
  await ben.waitForMessage('hello from ann', 'ann')
  await ann.waitForMessage('hello from ann', 'ann (you)')
  await carlRoom.until(items => items.some(m => m.text === 'hello from ann'), 'carl to get ann\'s line')
  await carl.send('general', 'hi from carl')
  await ann.waitForMessage('hi from carl', 'carl')
  await ben.waitForMessage('hi from carl', 'carl')
  await ben.say('ben here')
  await ann.waitForCount(3)
  const room = await ann.messages()
  assert.deepEqual(room.map(m => [m.from, m.text, m.mine]), [['ann (you)', 'hello from ann', true], ['carl', 'hi from carl', false], ['ben', 'ben here', false]])
  assert.deepEqual(room.map(m => m.id), [1, 2, 3])
  await ann.page.locator('.day', { hasText: 'Today' }).waitFor()

  // Ben clicks ann in the members list: a direct conversation. His own line shows once the server has it.
  await ben.page.getByRole('button', { name: 'Write to ann' }).click()
  await ben.waitForTitle('ann')
  await ben.say('psst, ann')
  await ben.waitForMessage('psst, ann', 'ben (you)')
  // Ann, in the room, sees it counted as unread, in the sidebar and the tab's title.
  await ann.page.locator('.directs').getByRole('button', { name: /^ben\s*1 unread$/ }).waitFor()
  await ann.page.waitForFunction(() => document.title === '(1) Chat')
  // Alt+R answers whoever wrote last.
  await ann.page.keyboard.press('Alt+r')
  await ann.waitForTitle('ben')
  await ann.page.waitForFunction(() => document.title === 'Chat') // read
  await ann.waitForMessage('psst, ann', 'ben')
  await ann.say('got it, ben')
  await ben.waitForMessage('got it, ben', 'ann')
  await ann.waitForCount(2)
  assert.deepEqual(texts(await ann.messages()), ['psst, ann', 'got it, ben'], 'ann\'s own direct message is shown once, after its ack')

  // Carl writes to ann; the reply button names him. Ann goes back to the room and picks carl in the "to" selector.
  await carl.dm('ann', 'a word from carl')
  await ann.page.getByRole('button', { name: 'Reply to carl' }).waitFor()
  await ann.openRoom('general')
  await ann.page.getByRole('combobox', { name: 'To' }).selectOption({ label: 'carl (direct message)' })
  await ann.waitForTitle('carl')
  await ann.say('answer for carl')
  await carlDirect.until(items => items.some(m => m.text === 'answer for carl'), 'carl to get ann\'s answer')
  await ann.waitForCount(2)
  assert.deepEqual((await ann.messages()).map(m => [m.from, m.text]), [['carl', 'a word from carl'], ['ann (you)', 'answer for carl']])
  const history = await carl.history({ with: 'ann' })
  assert.deepEqual(history.messages.map(m => m.text), ['a word from carl', 'answer for carl'], 'each stored once')

  // A line in the room while ann is elsewhere: counted unread on #general.
  await carl.send('general', 'while you were away')
  await ann.page.locator('.rooms').getByRole('button', { name: /^#general\s*3 online\s*1 unread$/ }).waitFor()

  // Ann creates a room, then leaves it: the room is gone from her list, she talks in #general again.
  await ann.joinRoom('dev')
  await ann.waitForMembers(['ann (you)'])
  await ann.page.locator('.rooms').getByRole('button', { name: /^#dev\s*1 online$/ }).waitFor()
  await ann.page.getByRole('button', { name: 'Leave #dev' }).click()
  await ann.waitForTitle('#general')
  await ann.page.locator('.rooms').getByRole('button', { name: /^#dev\b/ }).waitFor({ state: 'detached' })
  assert.equal(await ann.page.getByRole('combobox', { name: 'To' }).inputValue(), '#general')

  // Live presence: carl leaves, ben's list says so.
  await ben.openRoom('general')
  await ben.waitForMembers(['ann', 'ben (you)', 'carl'])
  await carl.leave('general')
  await ben.waitForMembers(['ann', 'ben (you)'])
  await ben.page.locator('.rooms').getByRole('button', { name: /^#general\s*2 online$/ }).waitFor()

  // Logging out: back to the form, the name kept.
  await ben.page.getByRole('button', { name: 'Log out' }).click()
  await ben.page.getByRole('button', { name: 'Log in' }).waitFor()
  assert.equal(await ben.page.getByRole('textbox', { name: 'Name' }).inputValue(), 'ben', 'the name is kept for the next login')

  assert.deepEqual(unexpectedErrors(ann.errors), [])
  assert.deepEqual(unexpectedErrors(ben.errors), [])
})

test('a room\'s older messages load page by page as the conversation is scrolled up, each once, in order, to the start', { timeout: 120_000 }, async t => {
  const h = new Harness(t)
  const { url, browser, origin } = await setUp(h)
  const writer = await h.client(url, 'writer')
  await writer.join('archive')
  const total = 120
  for (let i = 1; i <= total; i++) await writer.send('archive', `old line ${i}`)

  const reader = await ChatPage.open(browser, origin)
  await reader.login('reader')
  await reader.joinRoom('archive')
  await reader.waitForCount(50)
  assert.deepEqual((await reader.messages()).map(m => m.id), Array.from({ length: 50 }, (_, i) => total - 49 + i), 'the newest 50 on joining')
  const view = reader.page.locator('.messages')
  const atBottom = await view.evaluate(el => el.scrollHeight - el.scrollTop - el.clientHeight < 2)
  assert.ok(atBottom, 'the conversation opens at its newest message')

  // Scrolled to the top: the page before is read, and what was on screen stays where it was.
  await view.evaluate(el => { el.scrollTop = 0 })
  await reader.waitForCount(100)
  const kept = await view.evaluate(el => el.scrollTop)
  assert.ok(kept > 0, `the view stayed on the messages it showed (scrollTop ${kept}), rather than jumping to the top`)
  await view.evaluate(el => { el.scrollTop = 0 })
  await reader.waitForCount(total)
  await reader.page.getByText('This is the start of #archive.').waitFor()
  assert.equal(await reader.page.getByRole('button', { name: 'Load older messages' }).count(), 0)

  const shown = await reader.messages()
  assert.deepEqual(shown.map(m => m.id), Array.from({ length: total }, (_, i) => i + 1), 'every id once, in order')
  assert.deepEqual(texts(shown), Array.from({ length: total }, (_, i) => `old line ${i + 1}`))
  // A live message still lands at the end.
  await writer.send('archive', 'a new one')
  await reader.waitForMessage('a new one', 'writer')
  assert.equal((await reader.messages()).at(-1)?.id, total + 1)
  assert.deepEqual(unexpectedErrors(reader.errors), [])
})

test('markup in a message is shown as text: no script runs, no element is made from it', { timeout: 90_000 }, async t => {
  const h = new Harness(t)
  const { url, browser, origin } = await setUp(h)
  const mallory = await h.client(url, 'mallory')
  await mallory.join('general')
  const page = await ChatPage.open(browser, origin)
  const dialogs: string[] = []
  page.page.on('dialog', dialog => {
    dialogs.push(dialog.message())
    void dialog.dismiss()
  })
  await page.login('victim')
  const attacks = ['<img src=x onerror=alert(1)>', '<script>alert(2)</script>', '<b>bold?</b> &amp; <a href="javascript:alert(3)">link</a>', '<svg onload=alert(4)>']
  for (const text of attacks) await mallory.send('general', text)
  await mallory.dm('victim', '<img src=x onerror=alert(5)>')
  await page.say('<img src=y onerror=alert(6)>')
  await page.waitForCount(attacks.length + 1)
  assert.deepEqual(texts(await page.messages()), [...attacks, '<img src=y onerror=alert(6)>'], 'shown exactly as typed')
  await page.page.locator('.directs').getByRole('button', { name: /^mallory/ }).click()
  await page.waitForMessage('<img src=x onerror=alert(5)>', 'mallory')
  const made = await page.page.evaluate(() => document.querySelectorAll('#app img, #app script, #app svg, #app b, #app a, #app iframe').length)
  assert.equal(made, 0, 'no element was made from a message')
  assert.deepEqual(dialogs, [], 'nothing ran')
  assert.deepEqual(unexpectedErrors(page.errors), [])
})

test('the page speaks English or Chinese: from the browser\'s languages, switched in the page and remembered across a reload; refusals in words', { timeout: 90_000 }, async t => {
  const h = new Harness(t)
  const { url, browser, origin } = await setUp(h)
  await h.client(url, 'taken')

  const page = await ChatPage.open(browser, origin, { locale: 'en-US' })
  await page.page.getByRole('button', { name: 'Log in' }).waitFor()
  assert.equal(await page.page.evaluate(() => document.documentElement.lang), 'en')
  // A refusal says why, in words.
  await page.page.getByRole('textbox', { name: 'Name' }).fill('taken')
  await page.page.getByRole('button', { name: 'Log in' }).click()
  await page.page.getByRole('alert').filter({ hasText: 'Could not log in: That name is in use.' }).waitFor()

  await page.page.getByRole('combobox', { name: 'Language' }).selectOption('zh')
  await page.page.getByRole('button', { name: '登录' }).waitFor()
  assert.equal(await page.page.evaluate(() => document.documentElement.lang), 'zh-CN')
  assert.equal(await page.page.title(), '聊天')
  await page.page.reload()
  await page.page.getByRole('button', { name: '登录' }).waitFor()
  await page.page.getByRole('textbox', { name: '名字' }).fill('taken')
  await page.page.getByRole('button', { name: '登录' }).click()
  await page.page.getByRole('alert').filter({ hasText: '无法登录：这个名字已被使用。' }).waitFor()
  await page.page.getByRole('textbox', { name: '名字' }).fill('mei')
  await page.page.getByRole('button', { name: '登录' }).click()
  await page.waitForTitle('#general')
  await page.page.getByRole('heading', { name: '房间' }).waitFor()
  await page.page.getByRole('textbox', { name: '消息', exact: true }).fill('你好')
  await page.page.getByRole('button', { name: '发送' }).click()
  await page.waitForMessage('你好', 'mei（你）')
  await page.page.locator('.day', { hasText: '今天' }).waitFor()
  // And back, in the chat.
  await page.page.getByRole('combobox', { name: '语言' }).selectOption('en')
  await page.page.getByRole('button', { name: 'Send' }).waitFor()

  // A browser that prefers Chinese starts in Chinese.
  const chinese = await ChatPage.open(browser, origin, { locale: 'zh-CN' })
  await chinese.page.getByRole('button', { name: '登录' }).waitFor()
  assert.deepEqual(unexpectedErrors(page.errors), [])
  assert.deepEqual(unexpectedErrors(chinese.errors), [])
})

test('the server restarts mid-conversation: both pages say so, come back, and end with every conversation complete, nothing twice', { timeout: 240_000 }, async t => {
  const h = new Harness(t)
  const dataDir = h.tempDir()
  const first = await setUp(h, { dataDir })
  const { browser, origin } = first
  const ann = await ChatPage.open(browser, origin)
  await ann.login('ann', { password: 'correct horse', register: true })
  const ben = await ChatPage.open(browser, origin)
  await ben.login('ben', { password: 'battery staple', register: true })
  const carl = await h.client(first.url, 'carl', FAST_RECONNECT)
  const carlRoom = collectMessages(carl, { room: 'general' }, 'carl')
  await carl.join('general')
  await ann.waitForMembers(['ann (you)', 'ben', 'carl'])

  const lines = (who: string, phase: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${who} ${phase} ${i + 1}`)
  const roomExpected: string[] = []
  const directExpected: string[] = []
  const say = async (page: ChatPage, texts: string[], into: string[]): Promise<void> => {
    for (const text of texts) {
      await page.say(text)
      into.push(text)
    }
  }

  // Before: the room, and a direct conversation both ways.
  await say(ann, lines('ann', 'before', 2), roomExpected)
  await ann.waitForCount(2)
  await say(ben, lines('ben', 'before', 2), roomExpected)
  await ben.waitForCount(4)
  for (const text of lines('carl', 'before', 2)) {
    await carl.send('general', text)
    roomExpected.push(text)
  }
  await ann.waitForCount(6)
  await ann.page.getByRole('button', { name: 'Write to ben' }).click()
  await say(ann, lines('ann→ben', 'before', 2), directExpected)
  await ann.waitForCount(2)
  await ben.page.keyboard.press('Alt+r')
  await ben.waitForTitle('ann')
  await say(ben, lines('ben→ann', 'before', 2), directExpected)
  await ben.waitForCount(4)

  // The server goes; both pages say the connection is lost.
  await first.server.close()
  for (const page of [ann, ben]) await page.page.locator('.connection', { hasText: /^Connection lost \(.*\)\. Reconnecting…$|^Reconnecting \(attempt \d+\)…$/ }).waitFor()
  // Meanwhile everyone keeps typing: the lines wait, shown as being sent.
  await say(ann, lines('ann→ben', 'during', 2), directExpected)
  await ben.openRoom('general')
  await say(ben, lines('ben', 'during', 2), roomExpected)
  await ben.page.locator('.messages .pending').first().waitFor()
  const carlDuring = (async () => { for (const text of lines('carl', 'during', 2)) await carl.send('general', text) })()
  roomExpected.push(...lines('carl', 'during', 2))

  // A new server on the same ports and data: both pages come back and say so (for a few seconds: watched from now on).
  const backOnline = Promise.all([ann, ben].map(async page => { await page.page.locator('.connection', { hasText: 'Back online.' }).waitFor({ timeout: 60_000 }) }))
  const second = h.own(createServer({ dataDir }))
  await within(second.listen({ port: first.port, httpPort: first.httpPort }), 'the restarted server to listen')
  await within(carlDuring, 'carl\'s lines sent while the server was down', 60_000)
  await within(backOnline, 'both pages to say they are back online', 60_000)

  // After: more of both.
  await ann.openRoom('general')
  await say(ann, lines('ann', 'after', 2), roomExpected)
  await ben.openDirect('ann')
  await say(ben, lines('ben→ann', 'after', 2), directExpected)

  // Every conversation complete, in one order, each line once, on both pages and for carl.
  await carlRoom.until(items => items.length >= roomExpected.length, `carl to have all ${roomExpected.length} room messages`, 60_000)
  const carlTexts = carlRoom.items.map(m => m.text)
  assert.deepEqual([...carlTexts].sort(), [...roomExpected].sort(), 'carl has every room line once')
  await ann.waitForCount(roomExpected.length)
  await ben.openRoom('general')
  await ben.waitForCount(roomExpected.length)
  for (const page of [ann, ben]) {
    const shown = await page.messages()
    assert.deepEqual(shown.map(m => m.id), Array.from({ length: roomExpected.length }, (_, i) => i + 1), 'ids from 1, each once')
    assert.deepEqual(texts(shown), carlTexts, 'the same order as carl\'s')
  }
  await ann.openDirect('ben')
  await ann.waitForCount(directExpected.length)
  await ben.openDirect('ann')
  await ben.waitForCount(directExpected.length)
  const annDirect = await ann.messages()
  const benDirect = await ben.messages()
  assert.deepEqual([...texts(annDirect)].sort(), [...directExpected].sort(), 'ann has every direct line once')
  assert.deepEqual(texts(benDirect), texts(annDirect), 'in the same order for both')
  assert.deepEqual(annDirect.map(m => m.id), Array.from({ length: directExpected.length }, (_, i) => i + 1))

  assert.deepEqual(unexpectedErrors(ann.errors), [])
  assert.deepEqual(unexpectedErrors(ben.errors), [])
})

test('the page weighs at most 100 KiB gzipped, paints first within a bound (reported), and works at 360 px and by keyboard with every control labelled', { timeout: 90_000 }, async t => {
  const h = new Harness(t)
  const { browser, origin } = await setUp(h)
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 360, height: 640 } })
  h.defer('closing the context', async () => { await context.close() })
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', message => { if (message.type() === 'error') errors.push(message.text()) })
  page.on('pageerror', err => { errors.push(err.message) })
  const responses: Response[] = []
  page.on('response', response => { responses.push(response) })
  await page.goto(`${origin}/`)
  await page.getByRole('button', { name: 'Log in' }).waitFor()

  // First paint, as Chromium measured it.
  const paint = await page.waitForFunction(() => performance.getEntriesByName('first-contentful-paint')[0]?.startTime)
  const firstPaintMs = Number(await paint.jsonValue())
  t.diagnostic(`first contentful paint: ${firstPaintMs.toFixed(0)} ms (bound ${FIRST_PAINT_BOUND_MS} ms)`)
  assert.ok(firstPaintMs < FIRST_PAINT_BOUND_MS, `first paint after ${firstPaintMs} ms`)

  // By keyboard: the name field has the focus; Tab to the button; Enter.
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'username')
  await page.keyboard.type('kim')
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.querySelector('.topbar .title')?.textContent === '#general')
  await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'message', undefined, { timeout: 10_000 })
  await page.keyboard.type('line one')
  await page.keyboard.press('Shift+Enter')
  await page.keyboard.type('line two')
  await page.keyboard.press('Enter')
  await page.waitForFunction(() => document.querySelector('.messages .msg:not(.pending) .text')?.textContent === 'line one\nline two')

  // Everything the page loaded (the WebSocket aside), gzipped.
  let total = 0
  const sizes: string[] = []
  for (const response of responses) {
    if (response.request().resourceType() === 'websocket') continue
    const body = await response.body()
    const gzipped = gzipSync(body, { level: 9 }).length
    total += gzipped
    sizes.push(`${new URL(response.url()).pathname} ${(gzipped / 1024).toFixed(1)} KiB (${response.headers()['content-encoding'] ?? 'identity'} on the wire: ${response.headers()['content-length'] ?? '?'} bytes)`)
  }
  t.diagnostic(`the page loads ${responses.length} files: ${sizes.join('; ')}; ${(total / 1024).toFixed(1)} KiB gzipped in all (budget 100 KiB)`)
  assert.deepEqual(responses.map(r => new URL(r.url()).pathname).sort(), ['/', '/app.css', '/app.js'])
  assert.ok(total <= BUDGET_BYTES, `${total} bytes gzipped is within the budget`)

  // 360 px: nothing wider than the screen; the rooms and members are drawers that open.
  const overflow = async (): Promise<number> => await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)
  assert.equal(await overflow(), 0, 'no horizontal scrolling')
  assert.equal(await page.locator('.sidebar').isVisible(), false, 'the rooms are in a drawer')
  await page.getByRole('button', { name: 'Rooms and people' }).click()
  await page.locator('.rooms').getByRole('button', { name: /^#general/ }).waitFor()
  assert.equal(await overflow(), 0)
  await page.locator('.rooms').getByRole('button', { name: /^#general/ }).click()
  await page.locator('.sidebar').waitFor({ state: 'hidden' })
  await page.getByRole('button', { name: /^Members/ }).click()
  await page.locator('.members').getByText('kim (you)').waitFor()
  await page.keyboard.press('Escape')
  await page.locator('.members').waitFor({ state: 'hidden' })

  // Every control has a name: a <label>, aria-label or aria-labelledby, or its text.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')].filter(el => {
    const labelled = ((el as HTMLInputElement).labels?.length ?? 0) > 0 || (el.getAttribute('aria-label') ?? '') !== '' || el.hasAttribute('aria-labelledby')
    return !labelled && !(el.tagName === 'BUTTON' && (el.textContent ?? '').trim() !== '')
  }).map(el => el.outerHTML))
  assert.deepEqual(unlabelled, [])
  assert.deepEqual(errors, [])
})
