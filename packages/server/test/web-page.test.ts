import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import type { IncomingHttpHeaders } from 'node:http'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { Harness, within } from '@chat/testing'
import { WEB_FILES, webRoot } from '@chat/web'
import { createServer } from '../src/index.js'
import type { ServerOptions } from '../src/index.js'
import { WEB_PAGE_CSP } from '../src/transport/web-page.js'
import { rawHttp, upgradeRequest } from './transport-clients.js'

const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))

interface Reply {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

/** One HTTP request on a connection of its own (closed after it). */
async function get (port: number, path: string, options: { method?: string, headers?: Record<string, string> } = {}): Promise<Reply> {
  return await within(new Promise<Reply>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers, agent: false }, response => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('end', () => { resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }) })
      response.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  }), `${options.method ?? 'GET'} ${path}`)
}

async function serveHttp (h: Harness, options: ServerOptions = {}): Promise<number> {
  return (await h.serve(createServer(options), { transport: 'ws' })).httpPort!
}

describe('the web page route', () => {
  it('serves the built page at / and its script and styles, with their types, nosniff, the CSP, caching headers and gzip', async t => {
    const h = new Harness(t)
    const port = await serveHttp(h)
    const page = await get(port, '/')
    assert.equal(page.status, 200)
    assert.equal(page.headers['content-type'], 'text/html; charset=utf-8')
    assert.equal(page.headers['x-content-type-options'], 'nosniff')
    assert.equal(page.headers['content-security-policy'], WEB_PAGE_CSP)
    assert.match(WEB_PAGE_CSP, /^default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'/)
    assert.equal(page.headers['cache-control'], 'no-cache', 'the page is checked each time: a new build names new files')
    assert.match(page.headers.etag ?? '', /^"[\w-]{12}"$/)
    assert.equal(page.headers.vary, 'Accept-Encoding')
    const html = page.body.toString('utf8')
    assert.deepEqual(page.body, readFileSync(join(webRoot, 'index.html')), '@chat/web\'s build/index.html')
    const script = /src="(\/app\.js\?v=([\w-]+))"/.exec(html)
    const styles = /href="(\/app\.css\?v=([\w-]+))"/.exec(html)
    assert.ok(script !== null && styles !== null, `the page loads its script and styles: ${html}`)

    for (const [path, version, type, file] of [[script[1], script[2], 'text/javascript; charset=utf-8', 'app.js'], [styles[1], styles[2], 'text/css; charset=utf-8', 'app.css']]) {
      const plain = await get(port, path)
      assert.equal(plain.status, 200, path)
      assert.equal(plain.headers['content-type'], type)
      assert.equal(plain.headers['x-content-type-options'], 'nosniff')
      assert.equal(plain.headers['content-encoding'], undefined, 'not gzipped unless asked')
      assert.deepEqual(plain.body, readFileSync(join(webRoot, file)))
      assert.equal(plain.headers.etag, `"${version}"`, 'the version in the page\'s URL is the file\'s ETag')
      assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable', 'asked for by its version: kept')
      const zipped = await get(port, path, { headers: { 'Accept-Encoding': 'gzip, deflate, br' } })
      assert.equal(zipped.headers['content-encoding'], 'gzip')
      assert.ok(zipped.body.length < plain.body.length)
      assert.deepEqual(gunzipSync(zipped.body), plain.body)
      const refused = await get(port, path, { headers: { 'Accept-Encoding': 'gzip;q=0' } })
      assert.equal(refused.headers['content-encoding'], undefined, 'q=0 refuses gzip')
      const unversioned = await get(port, `/${file}`)
      assert.equal(unversioned.headers['cache-control'], 'no-cache', 'without the current version: checked each time')
      const stale = await get(port, `/${file}?v=older`)
      assert.equal(stale.headers['cache-control'], 'no-cache', 'another version: not kept as this one')
      const again = await get(port, path, { headers: { 'If-None-Match': plain.headers.etag! } })
      assert.equal(again.status, 304)
      assert.equal(again.body.length, 0)
    }

    const head = await get(port, '/', { method: 'HEAD' })
    assert.equal(head.status, 200)
    assert.equal(head.body.length, 0)
    assert.equal(head.headers['content-length'], String(page.body.length))
    const post = await get(port, '/', { method: 'POST' })
    assert.equal(post.status, 405)
    assert.equal(post.headers.allow, 'GET, HEAD')
    // Every other path stays unknown; /ws is still the WebSocket endpoint; the page takes no upgrade.
    for (const path of ['/index.html', '/favicon.ico', '/app.js/', '/build/app.js', '/../package.json']) assert.equal((await get(port, path)).status, 404, path)
    assert.equal((await get(port, '/ws')).status, 426)
    assert.match(await rawHttp(h, port, upgradeRequest('/')), /^HTTP\/1\.1 404 Not Found\r\n/)
  })

  it('is off with web: false: / is 404 like any unknown path, /ws is as it was', async t => {
    const h = new Harness(t)
    const port = await serveHttp(h, { web: false })
    for (const path of ['/', ...WEB_FILES.map(file => `/${file}`)]) assert.equal((await get(port, path)).status, 404, path)
    assert.equal((await get(port, '/ws')).status, 426)
  })

  it('answers 503 with a line saying to run pnpm build while the page is not built, and serves it once it is', async t => {
    const h = new Harness(t)
    const root = h.tempDir('chat-web-unbuilt-')
    const port = await serveHttp(h, { webRoot: root })
    for (const path of ['/', '/app.js', '/app.css']) {
      const reply = await get(port, path)
      assert.equal(reply.status, 503, path)
      assert.equal(reply.headers['content-type'], 'text/plain; charset=utf-8')
      assert.equal(reply.headers['cache-control'], 'no-store')
      const text = reply.body.toString('utf8')
      assert.match(text, /^The web page is not built .*: run `pnpm build`\.\n$/)
      assert.equal(text.split('\n').length, 2, 'one line')
    }
    for (const file of WEB_FILES) copyFileSync(join(webRoot, file), join(root, file))
    const page = await get(port, '/')
    assert.equal(page.status, 200, 'the next request looks again')
    assert.deepEqual(page.body, readFileSync(join(root, 'index.html')))
  })

  it('chat-server says where the page is, or with --no-web serves none', async t => {
    const h = new Harness(t)
    const withPage = await h.serverProcess([BIN, '--memory', '--port', '0', '--http-port', '0'])
    const [, url, port] = await withPage.waitFor(/web page at (http:\/\/127\.0\.0\.1:(\d+)\/)/, 'the page\'s address')
    assert.equal(url, `http://127.0.0.1:${port}/`)
    assert.equal((await get(Number(port), '/')).status, 200)

    const without = await h.serverProcess([BIN, '--memory', '--port', '0', '--http-port', '0', '--no-web'])
    const [, httpPort] = await without.waitFor(/http listening on 127\.0\.0\.1:(\d+) /, 'the http line')
    assert.equal((await get(Number(httpPort), '/')).status, 404)
    assert.equal((await get(Number(httpPort), '/ws')).status, 426, 'WebSocket clients are still served')
    assert.doesNotMatch(without.stderr, /web page/)
  })
})
