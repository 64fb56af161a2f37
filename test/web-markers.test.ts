// The web page with typing indicators and read markers (PROTOCOL.md §17), in a real Chromium: the
// typing line under the messages (both ways, in two languages), and a registered user's unread
// badges from the server's markers, the same after a reload and in a second tab.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { TypingEvent } from '@chat/client'
import { createServer } from '@chat/server'
import { Collected, Harness, within } from '@chat/testing'
import { launchChromium } from './support/browser.js'
import { ChatPage, unexpectedErrors } from './support/chat-page.js'

const PASSWORD = 'correct horse battery staple'

async function setUp (h: Harness) {
  const served = await h.serve(createServer(), { transport: 'ws' })
  const browser = await launchChromium(h)
  return { ...served, browser, origin: `http://127.0.0.1:${served.httpPort!}` }
}

/** The room's button in the sidebar, by what it says ("#dev 2 online 3 unread"). */
const roomButton = (page: ChatPage, name: RegExp) => page.page.locator('.rooms').getByRole('button', { name })
const typingLine = async (page: ChatPage, text: string): Promise<void> => {
  await page.page.waitForFunction(text => document.querySelector('.typing')?.textContent === text, text)
}

test('the typing line: who types in the open room, in the page\'s language; the composer says we type', { timeout: 120_000 }, async t => {
  const h = new Harness(t)
  const { url, browser, origin } = await setUp(h)
  const ann = await ChatPage.open(browser, origin)
  await ann.login('ann')
  const [ben, carl] = await h.clientsIn(url, 'general', ['ben', 'carl'])
  const benSees = new Collected<TypingEvent>(ben.events({ types: ['typing'] }), 'ben\'s typing events')
  await ann.waitForMembers(['ann (you)', 'ben', 'carl'])

  ben.typing('general')
  await typingLine(ann, 'ben is typing…')
  carl.typing('general')
  await typingLine(ann, 'ben and carl are typing…')
  await ann.page.getByRole('combobox', { name: 'Language' }).selectOption('zh')
  await typingLine(ann, 'ben 和 carl 正在输入…')
  await ann.page.getByRole('combobox', { name: '语言' }).selectOption('en')
  await ben.send('general', 'done, ben')
  await typingLine(ann, 'carl is typing…')
  carl.typing('general', false)
  await typingLine(ann, '')

  await ann.input.pressSequentially('hel')
  await benSees.until(items => items.some(e => e.user === 'ann' && e.active), 'ann\'s typing from the composer')
  await ann.input.fill('')
  await benSees.until(items => items.at(-1)?.user === 'ann' && items.at(-1)?.active === false, 'ann\'s stop once the box is empty')
  assert.deepEqual(unexpectedErrors(ann.errors), [])
})

test('a registered user\'s unread badges are the server\'s read markers: a reload and a second tab show the same', { timeout: 180_000 }, async t => {
  const h = new Harness(t)
  const { url, browser, origin } = await setUp(h)
  await within((await h.client(url, 'ann', { password: PASSWORD, register: true })).close(), 'registering ann')
  const [ben] = await h.clientsIn(url, 'general', ['ben'])
  await ben.join('dev')

  const context = await browser.newContext({ locale: 'en-US' })
  const ann = await ChatPage.inContext(context, origin)
  await ann.login('ann', { password: PASSWORD })
  await ann.joinRoom('dev')
  await ann.openRoom('general')
  for (let i = 1; i <= 3; i++) await ben.send('dev', `dev line ${i}`)
  await roomButton(ann, /^#dev\s*2 online\s*3 unread$/).waitFor()
  await ben.send('general', 'seen at once')
  await ann.waitForMessage('seen at once', 'ben')

  // A reload: the page joins #dev again and shows the server's count; #general, open and focused, was read.
  await ann.page.reload()
  await ann.login('ann', { password: PASSWORD })
  await roomButton(ann, /^#dev\s*2 online\s*3 unread$/).waitFor()
  assert.equal(await roomButton(ann, /^#general\b/).textContent(), '#general2 online')
  // Opening #dev reads it, on the server too.
  await ann.openRoom('dev')
  await ann.waitForCount(3)
  await ann.openRoom('general')
  await roomButton(ann, /^#dev\s*2 online$/).waitFor()

  // A second tab, once the first is closed (a name is one connection at a time): the same badges.
  const second = await ChatPage.inContext(context, origin)
  const benSees = new Collected(ben.events({ types: ['leave'] }), 'ben\'s leaves')
  await ann.page.close()
  await benSees.until(items => items.some(e => e.user === 'ann'), 'the server to see the first tab gone')
  await second.login('ann', { password: PASSWORD })
  await roomButton(second, /^#dev\s*2 online$/).waitFor()
  await ben.send('dev', 'one more')
  await roomButton(second, /^#dev\s*2 online\s*1 unread$/).waitFor()
  assert.deepEqual(unexpectedErrors(second.errors), [])
})

test('scrolled up into older messages, what arrives stays unread; back at the newest, it is read (on the server too)', { timeout: 120_000 }, async t => {
  const h = new Harness(t)
  const { url, browser, origin } = await setUp(h)
  await within((await h.client(url, 'ann', { password: PASSWORD, register: true })).close(), 'registering ann')
  const [ben] = await h.clientsIn(url, 'general', ['ben'])
  for (let i = 1; i <= 60; i++) await ben.send('general', `older line ${i}`)

  const ann = await ChatPage.open(browser, origin)
  await ann.login('ann', { password: PASSWORD })
  await ann.openRoom('general')
  await ann.waitForMessage('older line 60', 'ben')
  const list = ann.page.locator('.messages')
  await list.evaluate(view => { view.scrollTop = 0; view.dispatchEvent(new Event('scroll')) })
  await ben.send('general', 'while scrolled up 1')
  await ben.send('general', 'while scrolled up 2')
  await roomButton(ann, /^#general\s*2 online\s*2 unread$/).waitFor()

  await list.evaluate(view => { view.scrollTop = view.scrollHeight; view.dispatchEvent(new Event('scroll')) })
  await roomButton(ann, /^#general\s*2 online$/).waitFor()
  await ann.page.close()
  const benSees = new Collected(ben.events({ types: ['leave'] }), 'ben\'s leaves')
  await benSees.until(items => items.some(e => e.user === 'ann'), 'the server to see the page gone')
  const again = await h.client(url, 'ann', { password: PASSWORD })
  const joined = await again.join('general')
  assert.deepEqual([joined.read, joined.unread], [62, 0])
})
