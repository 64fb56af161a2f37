// `pnpm screenshots`: the web page in English and in Chinese, for the READMEs. Starts a server in
// memory on free loopback ports, has a few people chat (Node clients and the page), and writes
// docs/screenshots/web-en.png and web-zh.png. Chinese needs a CJK font on the machine
// (Debian: apt-get install fonts-wqy-microhei or fonts-noto-cjk); CI does not run this.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'
import { connect } from '@chat/client'
import type { ChatClient } from '@chat/client'
import { createServer } from '@chat/server'
import { CHROMIUM } from './support/browser.js'

const OUT = fileURLToPath(new URL('../../docs/screenshots/', import.meta.url))

const server = createServer()
await server.listen({ port: 0, httpPort: 0 })
const httpPort = server.httpAddress()!.port
const url = `ws://127.0.0.1:${httpPort}/ws`
const clients: ChatClient[] = []
const person = async (name: string, rooms: string[]): Promise<ChatClient> => {
  const client = await connect(url, { username: name })
  clients.push(client)
  for (const room of rooms) await client.join(room)
  return client
}

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'] })
try {
  const ben = await person('ben', ['general', 'dev'])
  const carl = await person('carl', ['general'])
  const li = await person('li', ['general', 'dev'])
  await carl.send('general', 'Morning! The release notes are up.')
  await ben.send('general', 'Thanks, reading them now.')
  await li.send('general', '大家好！我用中文界面。')

  const page = await browser.newPage({ locale: 'en-US', viewport: { width: 1200, height: 700 }, colorScheme: 'light' })
  await page.goto(`http://127.0.0.1:${httpPort}/`)
  await page.getByRole('textbox', { name: 'Name' }).fill('ann')
  await page.getByRole('button', { name: 'Log in' }).click()
  await page.waitForFunction(() => document.querySelectorAll('.messages .msg').length === 3)
  await page.getByRole('textbox', { name: 'Message', exact: true }).fill('Looks good. Anyone for lunch?\nNoon, usual place.')
  await page.keyboard.press('Enter')
  await carl.send('general', 'Count me in.')
  await ben.dm('ann', 'Can you review my change after lunch?')
  await li.send('dev', 'The build is green.')
  await page.waitForFunction(() => document.querySelectorAll('.messages .msg:not(.pending)').length === 5 && document.querySelector('.directs .badge') !== null)
  // The rooms list is read again a moment after presence changes: wait for #dev to be listed.
  await page.locator('.rooms').getByRole('button', { name: /^#dev/ }).waitFor()
  await page.locator('.messages').click({ position: { x: 5, y: 5 } }) // the focus off the message box: no focus ring in the picture

  mkdirSync(OUT, { recursive: true })
  await page.screenshot({ path: join(OUT, 'web-en.png') })
  await page.getByRole('combobox', { name: 'Language' }).selectOption('zh')
  await page.getByRole('button', { name: '发送' }).waitFor()
  await page.locator('.messages').click({ position: { x: 5, y: 5 } })
  await page.screenshot({ path: join(OUT, 'web-zh.png') })
  console.log(`wrote ${join(OUT, 'web-en.png')} and web-zh.png`)
} finally {
  await browser.close()
  for (const client of clients) await client.close()
  await server.close()
}
