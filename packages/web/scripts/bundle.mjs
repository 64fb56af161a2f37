// Builds the web page into build/: index.html, app.js (the app, Preact and the SDK's browser
// build, minified) and app.css. Runs after `tsc -b` (it bundles the other packages' dist).
//   node packages/web/scripts/bundle.mjs
// Each file is written only when its content changed, through a temporary file and a rename:
// a server reading build/ (a test, `pnpm start`) never sees half a file.
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const out = join(root, 'build')
/** What the server serves, at `/`, `/app.js` and `/app.css` (src/index.ts lists them too). */
const FILES = ['index.html', 'app.js', 'app.css']

const result = await build({
  entryPoints: { app: join(root, 'app', 'main.tsx') },
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  minify: true,
  legalComments: 'none',
  write: false,
  outdir: out,
  logLevel: 'warning'
})

const files = new Map()
for (const file of result.outputFiles) files.set(file.path.slice(out.length + 1), file.contents)
for (const name of ['app.js', 'app.css']) {
  if (!files.has(name)) throw new Error(`bundle: esbuild made no ${name} (it made ${[...files.keys()].join(', ')})`)
}
// The page names each file with a hash of its content: a new build is a new URL for browsers.
const version = name => createHash('sha256').update(files.get(name)).digest('base64url').slice(0, 12)
const page = readFileSync(join(root, 'app', 'index.html'), 'utf8').replace(/\{\{(app\.(?:js|css))\}\}/g, (_, name) => version(name))
files.set('index.html', Buffer.from(page))

mkdirSync(out, { recursive: true })
for (const name of FILES) writeIfChanged(join(out, name), files.get(name))
// Nothing else belongs there (a file left by an older build would be served by no one, but shipped).
for (const name of readdirSync(out)) if (!FILES.includes(name)) rmSync(join(out, name), { recursive: true })

function writeIfChanged (path, contents) {
  let current
  try {
    current = readFileSync(path)
  } catch {}
  if (current !== undefined && Buffer.compare(current, Buffer.from(contents)) === 0) return
  const temporary = `${path}.${process.pid}.tmp`
  writeFileSync(temporary, contents)
  renameSync(temporary, path)
}
