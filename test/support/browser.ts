import { chromium } from 'playwright-core'
import type { Browser, BrowserContextOptions, Page } from 'playwright-core'
import type { Harness } from '@chat/testing'

/** Debian's Chromium (installed by .ci/run); playwright-core only drives it. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/** A headless Chromium, closed after the test. */
export async function launchChromium (h: Harness): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    timeout: 60_000
  })
  h.defer('closing Chromium', async () => { await browser.close() })
  return browser
}

/** A new page (in a context of its own: its own storage) whose console errors and uncaught exceptions are collected (a test asserts there are none). */
export async function openPage (browser: Browser, url: string, options: BrowserContextOptions = {}): Promise<{ page: Page, errors: string[] }> {
  const page = await browser.newPage(options)
  const errors: string[] = []
  page.on('pageerror', err => { errors.push(`uncaught: ${err.message}`) })
  page.on('console', message => { if (message.type() === 'error') errors.push(`console: ${message.text()}`) })
  await page.goto(url)
  return { page, errors }
}
