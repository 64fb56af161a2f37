import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join } from 'node:path'
import { gzipSync } from 'node:zlib'
import type { HttpRoute } from './http-listener.js'

/**
 * What the page may load: its own scripts, styles and images (and `data:`
 * images), and WebSockets to its own server. No inline script or style, no
 * framing, no `<base>`.
 */
export const WEB_PAGE_CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8'
}

/** A year: a URL that names the content's version never changes meaning. */
const IMMUTABLE = 'public, max-age=31536000, immutable'

interface Asset {
  body: Buffer
  /** The body gzipped, when that is smaller. */
  gzip: Buffer | undefined
  type: string
  /** The first 12 characters of the base64url SHA-256 of the body: the ETag, and the `?v=` the page names the file with. */
  version: string
}

export interface WebPageOptions {
  /** The folder of the built page. */
  root: string
  /** Its files: the first is served at `/`, the others at `/<name>`. */
  files: readonly string[]
}

/**
 * The web page, as routes of the HTTP listener: `/` (index.html) and each of
 * its files. They are read from `root` once, at the first request (a server
 * nobody asks for the page pays nothing), and kept in memory with their
 * gzipped form. If one is missing (the page was not built) every route
 * answers 503 saying so, and the next request looks again.
 */
export class WebPage {
  private assets: Map<string, Asset> | undefined
  private loading: Promise<Map<string, Asset> | undefined> | undefined

  constructor (private readonly options: WebPageOptions) {}

  /** The routes, path → handler. */
  routes (): Array<[string, HttpRoute]> {
    return this.options.files.map((file, index) => [index === 0 ? '/' : `/${file}`, {
      request: (request, response) => { void this.serve(file, request, response) }
    }])
  }

  /** Whether every file is there (read or not yet). */
  built (): boolean {
    return this.assets !== undefined || this.options.files.every(file => existsSync(join(this.options.root, file)))
  }

  /** Reads the files if not read yet; undefined while they are not all there. */
  async load (): Promise<Map<string, Asset> | undefined> {
    if (this.assets !== undefined) return this.assets
    this.loading ??= this.read().finally(() => { this.loading = undefined })
    return await this.loading
  }

  private async read (): Promise<Map<string, Asset> | undefined> {
    const assets = new Map<string, Asset>()
    for (const file of this.options.files) {
      let body: Buffer
      try {
        body = await readFile(join(this.options.root, file))
      } catch {
        return undefined
      }
      const gzip = gzipSync(body)
      assets.set(file, {
        body,
        gzip: gzip.length < body.length ? gzip : undefined,
        type: CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
        version: createHash('sha256').update(body).digest('base64url').slice(0, 12)
      })
    }
    this.assets = assets
    return assets
  }

  private async serve (file: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' })
      response.end('the web page answers GET and HEAD only\n')
      return
    }
    const assets = await this.load()
    if (response.destroyed) return
    const asset = assets?.get(file)
    if (asset === undefined) {
      response.writeHead(503, { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff' })
      response.end(`The web page is not built (no ${file} in ${this.options.root}): run \`pnpm build\`.\n`)
      return
    }
    const etag = `"${asset.version}"`
    const versioned = file !== this.options.files[0] && new URL(request.url ?? '/', 'http://page').searchParams.get('v') === asset.version
    const headers: Record<string, string | number> = {
      'Content-Type': asset.type,
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': WEB_PAGE_CSP,
      'Referrer-Policy': 'no-referrer',
      // The page itself is checked each time (a new build names new files); a file asked for by its version is kept.
      'Cache-Control': versioned ? IMMUTABLE : 'no-cache',
      ETag: etag,
      Vary: 'Accept-Encoding'
    }
    if (matches(request.headers['if-none-match'], etag)) {
      response.writeHead(304, headers)
      response.end()
      return
    }
    const gzip = asset.gzip !== undefined && acceptsGzip(request.headers['accept-encoding'])
    const body = gzip ? asset.gzip! : asset.body
    if (gzip) headers['Content-Encoding'] = 'gzip'
    headers['Content-Length'] = body.length
    response.writeHead(200, headers)
    response.end(request.method === 'HEAD' ? undefined : body)
  }
}

function matches (ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false
  return ifNoneMatch.split(',').some(tag => {
    const trimmed = tag.trim()
    return trimmed === '*' || trimmed === etag || trimmed === `W/${etag}`
  })
}

/** `gzip` (or `*`) among the accepted encodings, with a quality above 0. */
function acceptsGzip (acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false
  return acceptEncoding.split(',').some(part => {
    const [coding, ...params] = part.trim().toLowerCase().split(';')
    if (coding.trim() !== 'gzip' && coding.trim() !== '*') return false
    const q = params.map(param => param.trim()).find(param => param.startsWith('q='))
    return q === undefined || Number(q.slice(2)) > 0
  })
}
