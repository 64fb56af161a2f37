// The SDK as a web app gets it: bundled with esbuild's defaults for the browser, nothing else configured.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { bundleForBrowser } from './support/browser-bundle.js'

const HERE = fileURLToPath(new URL('..', import.meta.url)) // test/, where @chat/client is a dependency
const BUDGET_GZIP_BYTES = 20 * 1024

test('the browser build of @chat/client loads no Node module and no ws package, and is at most 20 KiB min+gzip', async t => {
  const bundle = await bundleForBrowser({ contents: 'export * from "@chat/client"', resolveDir: HERE })
  // What is in the bundle: the modules that left bytes in it (esbuild visits more, and drops the unused ones).
  const [output] = Object.values(bundle.metafile.outputs)
  const inputs = Object.entries(output.inputs).filter(([, input]) => input.bytesInOutput > 0).map(([path]) => path)
  t.diagnostic(`@chat/client for browsers: ${bundle.bytes} bytes minified, ${bundle.gzipBytes} gzipped (${(bundle.gzipBytes / 1024).toFixed(1)} KiB; budget 20 KiB)`)
  const visited = Object.keys(bundle.metafile.inputs)
  assert.ok(visited.some(path => path.endsWith('client/dist/src/browser.js')), 'the "browser" condition picked browser.js')
  assert.ok(!visited.some(path => path.endsWith('client/dist/src/index.js')), 'not the Node entry')
  for (const path of inputs) {
    assert.doesNotMatch(path, /(^|\/)node_modules\/(\.pnpm\/)?ws[@/]|^node:|tcp-transport|tls-transport|ws-transport|node-transports|node-message-socket/, `${path} is not for browsers`)
  }
  assert.doesNotMatch(bundle.code, /require\(|from"node:|process\.nextTick/, 'no Node API is left in the code')
  assert.ok(bundle.gzipBytes <= BUDGET_GZIP_BYTES, `${bundle.gzipBytes} bytes gzipped is within the budget`)
})
