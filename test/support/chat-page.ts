import type { Browser, BrowserContext, BrowserContextOptions, Locator, Page } from 'playwright-core'
import { openPage } from './browser.js'

/** A message as the page shows it. */
export interface ShownMessage {
  id: number
  from: string
  text: string
  mine: boolean
}

/** How long the page may take to show something (a reconnect backs off for up to 10 s between attempts). */
export const PAGE_MS = 30_000

/**
 * The web page served by our server, driven as a person would: by labels,
 * roles and keys (in English unless the test switches), read from the DOM.
 */
export class ChatPage {
  private constructor (readonly page: Page, readonly errors: string[]) {}

  /** Opens the page at `origin` (the server's HTTP address) in a browser context of its own. */
  static async open (browser: Browser, origin: string, options: BrowserContextOptions = {}): Promise<ChatPage> {
    const { page, errors } = await openPage(browser, `${origin}/`, { locale: 'en-US', ...options })
    page.setDefaultTimeout(PAGE_MS)
    return new ChatPage(page, errors)
  }

  /** A tab in `context` (tabs of one context share their storage, as a browser's do), at `origin`. */
  static async inContext (context: BrowserContext, origin: string): Promise<ChatPage> {
    const page = await context.newPage()
    const errors: string[] = []
    page.on('pageerror', err => { errors.push(`uncaught: ${err.message}`) })
    page.on('console', message => { if (message.type() === 'error') errors.push(`console: ${message.text()}`) })
    page.setDefaultTimeout(PAGE_MS)
    await page.goto(`${origin}/`)
    return new ChatPage(page, errors)
  }

  /** Logs in (registering the name with `register`); resolves once #general is open. */
  async login (name: string, options: { password?: string, register?: boolean } = {}): Promise<void> {
    await this.page.getByRole('textbox', { name: 'Name' }).fill(name)
    if (options.password !== undefined) await this.page.getByLabel('Password', { exact: true }).fill(options.password)
    if (options.register === true) await this.page.getByRole('checkbox', { name: 'Register this name with this password' }).check()
    await this.page.getByRole('button', { name: options.register === true ? 'Register and log in' : 'Log in' }).click()
    await this.waitForTitle('#general')
  }

  /** The message box. */
  get input (): Locator {
    return this.page.getByRole('textbox', { name: 'Message', exact: true })
  }

  /** Types a line into the open conversation and presses Enter. */
  async say (text: string): Promise<void> {
    await this.input.fill(text)
    await this.input.press('Enter')
  }

  /** The open conversation's messages, oldest first (lines still being sent are not among them). */
  async messages (): Promise<ShownMessage[]> {
    return await this.page.$$eval('.messages .msg:not(.pending)', items => items.map(item => ({
      id: Number(item.getAttribute('data-id')),
      from: item.querySelector('.from')?.textContent ?? '',
      text: item.querySelector('.text')?.textContent ?? '',
      mine: item.classList.contains('mine')
    })))
  }

  /** Waits until the open conversation shows a message with this text (from `from`, as the page writes it, if given). */
  async waitForMessage (text: string, from?: string): Promise<void> {
    await this.page.waitForFunction(({ text, from }) => [...document.querySelectorAll('.messages .msg:not(.pending)')].some(item =>
      item.querySelector('.text')?.textContent === text && (from === undefined || item.querySelector('.from')?.textContent === from)), { text, from })
  }

  /** Waits until the open conversation shows exactly `count` messages and nothing is being sent. */
  async waitForCount (count: number): Promise<void> {
    await this.page.waitForFunction(count => document.querySelectorAll('.messages .msg:not(.pending)').length === count &&
      document.querySelectorAll('.messages .pending').length === 0, count)
  }

  /** Waits for the top bar to name the open conversation. */
  async waitForTitle (title: string): Promise<void> {
    await this.page.waitForFunction(title => document.querySelector('.topbar .title')?.textContent === title, title)
  }

  /** Waits until the members list of the open room is exactly `names` (as shown: ours reads "name (you)"). */
  async waitForMembers (names: string[]): Promise<void> {
    await this.page.waitForFunction(names => {
      const shown = [...document.querySelectorAll('.members li')].map(item => item.textContent)
      return JSON.stringify(shown) === JSON.stringify(names)
    }, names)
  }

  /** Opens a room we are in, or joins one listed, from the sidebar. */
  async openRoom (room: string): Promise<void> {
    await this.page.locator('.rooms').getByRole('button', { name: new RegExp(`^#${escape(room)}\\b`) }).click()
    await this.waitForTitle(`#${room}`)
  }

  /** Joins (or creates) a room with the sidebar's form. */
  async joinRoom (room: string): Promise<void> {
    const field = this.page.getByRole('textbox', { name: 'Join or create a room' })
    await field.fill(room)
    await field.press('Enter')
    await this.waitForTitle(`#${room}`)
  }

  /** Opens the conversation with someone from the sidebar's direct messages. */
  async openDirect (user: string): Promise<void> {
    await this.page.locator('.directs').getByRole('button', { name: new RegExp(`^${escape(user)}\\b`) }).click()
    await this.waitForTitle(user)
  }

  /** The text of the connection line (empty while simply connected). */
  async connectionLine (): Promise<string> {
    return (await this.page.locator('.connection').textContent()) ?? ''
  }
}

function escape (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Chromium reports each refused reconnect attempt in its console; those are expected while a server is down. */
export const unexpectedErrors = (errors: string[]): string[] => errors.filter(error => !/WebSocket connection to .* failed/.test(error))
