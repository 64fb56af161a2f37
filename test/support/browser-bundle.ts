import { build } from 'esbuild'
import type { Metafile } from 'esbuild'
import { gzipSync } from 'node:zlib'

export interface Bundle {
  code: string
  /** Minified bytes, and gzipped. */
  bytes: number
  gzipBytes: number
  metafile: Metafile
}

/**
 * Bundles `entry` as a browser app would with esbuild's defaults for the web
 * (the `browser` condition, no Node built-ins): nothing special for our packages.
 */
export async function bundleForBrowser (entry: { contents: string, resolveDir: string }, minify = true): Promise<Bundle> {
  const result = await build({
    stdin: { contents: entry.contents, resolveDir: entry.resolveDir, loader: 'js' },
    bundle: true,
    platform: 'browser',
    format: 'esm',
    target: 'es2022',
    minify,
    write: false,
    metafile: true,
    logLevel: 'silent'
  })
  const code = result.outputFiles[0].text
  return { code, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length, metafile: result.metafile }
}
