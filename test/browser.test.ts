// The SDK in a real Chromium (Debian's, driven by playwright-core): a page
// loads the browser build, chats with a Node client over WebSocket, lives
// through a server restart, and closes cleanly.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import type { Page } from 'playwright-core'
import type { ChatMessage } from '@chat/client'
import { createServer } from '@chat/server'
import { collectMessages, Harness, StatusLog, within } from '@chat/testing'
import { launchChromium, openPage } from './support/browser.js'
import { bundleForBrowser } from './support/browser-bundle.js'
import { servePage } from './support/static-page.js'
import { assertConsecutive } from './support/history.js'

const HERE = fileURLToPath(new URL('..', import.meta.url))
const FAST_RECONNECT = { reconnectTimeWait: 100, maxReconnectTimeWait: 500, reconnectJitter: 50, maxReconnectAttempts: -1 }

/** The page: the SDK's browser build as `window.chat`, and a place for the test's state. */
async function sdkPage (h: Harness): Promise<{ origin: string }> {
  const { code } = await bundleForBrowser({ contents: 'import * as chat from "@chat/client"; window.chat = chat; window.ready = true', resolveDir: HERE }, false)
  return await servePage(h, {
    '/': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>SDK test</title><script type="module" src="/sdk.js"></script>' },
    '/sdk.js': { type: 'text/javascript', body: code },
    '/favicon.ico': { type: 'image/x-icon', body: '' }
  })
}

/** Chromium reports each refused reconnect attempt in its console; those are expected while the server is down. */
const unexpected = (errors: string[]): string[] => errors.filter(error => !/WebSocket connection to .* failed/.test(error))

/** The room messages the page has seen, in order. */
async function pageInbox (page: Page): Promise<ChatMessage[]> {
  return await page.evaluate(() => (globalThis as any).inbox as ChatMessage[])
}

test('a page chats with a Node client over WebSocket, by room and by direct message, survives a server restart with nothing lost or doubled, and closes cleanly', { timeout: 120_000 }, async t => {
  const h = new Harness(t)
  const dataDir = h.tempDir()
  const { origin } = await sdkPage(h)
  const first = await h.serve(createServer({ dataDir, allowedOrigins: [origin] }), { transport: 'ws' })
  const wsUrl = first.url
  const browser = await launchChromium(h)
  const { page, errors } = await openPage(browser, `${origin}/`)
  await page.waitForFunction(() => (globalThis as any).ready === true)

  // The page logs in, joins, and keeps every message it gets.
  await page.evaluate(async ({ url, options }) => {
    const w = globalThis as any
    w.web = await w.chat.connect(url, { username: 'web', ...options })
    await w.web.join('general')
    w.inbox = []
    w.direct = []
    w.statuses = [];
    (async () => { for await (const m of w.web.messages({ room: 'general' })) w.inbox.push(m) })();
    (async () => { for await (const m of w.web.messages({ direct: true })) w.direct.push(m) })();
    (async () => { for await (const s of w.web.status()) w.statuses.push(s.type) })()
  }, { url: wsUrl, options: FAST_RECONNECT })

  const node = await h.client(first.url, 'node', { reconnect: true, ...FAST_RECONNECT })
  await node.join('general')
  const nodeInbox = collectMessages(node, { room: 'general' }, 'node')
  const nodeStatus = new StatusLog(node, 'node')

  const sendFromPage = async (texts: string[]): Promise<void> => {
    await page.evaluate(async texts => { for (const text of texts) await (globalThis as any).web.send('general', text) }, texts)
  }
  const sendFromNode = async (texts: string[]): Promise<void> => { for (const text of texts) await node.send('general', text) }
  const texts = (who: string, phase: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${who} ${phase} ${i + 1}`)

  await sendFromPage(texts('page', 'before', 3))
  await sendFromNode(texts('node', 'before', 3))

  // Direct messages both ways.
  const nodeDirect = collectMessages(node, { direct: true }, 'node')
  const fromPage = await page.evaluate(async () => await (globalThis as any).web.dm('node', 'psst from the page'))
  assert.equal(typeof fromPage.id, 'number')
  await nodeDirect.until(items => items.length >= 1, 'node to get the page\'s direct message')
  await node.dm('web', 'psst from node')
  await page.waitForFunction(() => (globalThis as any).direct.some((m: { text: string }) => m.text === 'psst from node'))
  const history = await node.history({ with: 'web' })
  assert.deepEqual(history.messages.map(m => [m.from, m.text]), [['web', 'psst from the page'], ['node', 'psst from node']])
  assert.deepEqual(nodeDirect.items.map(m => [m.from, m.text]), [['web', 'psst from the page']])

  // The server stops; both clients send meanwhile (their sends wait); a new server on the same ports and data comes up.
  await first.server.close()
  await nodeStatus.next('disconnect', 'node to see the server go')
  await page.waitForFunction(() => (globalThis as any).statuses.includes('disconnect'))
  const duringPage = sendFromPage(texts('page', 'during', 5))
  const duringNode = sendFromNode(texts('node', 'during', 5))
  const second = h.own(createServer({ dataDir, allowedOrigins: [origin] }))
  await within(second.listen({ port: first.port, httpPort: first.httpPort }), 'the restarted server to listen')
  await within(Promise.all([duringPage, duringNode]), 'the sends made while the server was down')
  await page.waitForFunction(() => (globalThis as any).statuses.includes('reconnect'))
  await sendFromPage(texts('page', 'after', 3))
  await sendFromNode(texts('node', 'after', 3))

  // Both have the whole room, in the same order, each message once.
  const expected = 3 + 3 + 5 + 5 + 3 + 3
  await nodeInbox.until(items => items.length >= expected, `node to have all ${expected} room messages`)
  await page.waitForFunction(n => (globalThis as any).inbox.length >= n, expected)
  const seen = await pageInbox(page)
  assertConsecutive(seen, 1, 'the page\'s room messages')
  assert.deepEqual(seen.map(m => [m.id, m.text]), nodeInbox.items.map(m => [m.id, m.text]), 'the page and node saw the same messages in the same order')
  for (const phase of ['before', 'during', 'after']) {
    for (const who of ['page', 'node']) {
      const sent = seen.filter(m => m.text.startsWith(`${who} ${phase} `)).map(m => m.text)
      assert.deepEqual(sent, texts(who, phase, phase === 'during' ? 5 : 3), `${who}'s ${phase} messages, in order, once each`)
    }
  }

  // A clean close: the client's closed settles with no error, and the page saw no error besides the refused reconnects.
  const closed = await page.evaluate(async () => {
    const web = (globalThis as any).web
    await web.close()
    return (await web.closed) === undefined
  })
  assert.equal(closed, true)
  assert.deepEqual(unexpected(errors), [])
})

test('in a page, tcp:// is refused in words, and a server that does not allow the page\'s origin refuses it', { timeout: 60_000 }, async t => {
  const h = new Harness(t)
  const { origin } = await sdkPage(h)
  const { url } = await h.serve(createServer(), { transport: 'ws' })
  const browser = await launchChromium(h)
  const { page } = await openPage(browser, `${origin}/`)
  await page.waitForFunction(() => (globalThis as any).ready === true)
  const attempt = async (address: string): Promise<{ code: string, message: string }> => await page.evaluate(async address => {
    try {
      await (globalThis as any).chat.connect(address, { username: 'web', reconnect: false })
      return { code: 'connected', message: '' }
    } catch (err: any) {
      return { code: err.code, message: err.message }
    }
  }, address)
  const tcp = await attempt('tcp://127.0.0.1:7777')
  assert.equal(tcp.code, 'connect_failed')
  assert.match(tcp.message, /tcp:\/\/ needs Node\.js .*connect with ws:\/\/ or wss:\/\//)
  const foreign = await attempt(url)
  assert.equal(foreign.code, 'connect_failed', 'the origin is not allowed: the upgrade is refused')
})
