// The server under fuzzed input (CI's share: 100,000 frames, a fixed seed). `pnpm fuzz` runs millions.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fuzzServer } from './fuzz-server.js'

const FRAMES = 100_000
const SEED = 0xC4A7

test(`${FRAMES.toLocaleString('en')} fuzzed frames (valid, bit-flipped, truncated, garbage, huge lengths, invalid UTF-8): every reply valid, no internal error, nothing uncaught, a bystander unharmed`, { timeout: 600_000 }, async t => {
  const report = await fuzzServer({ frames: FRAMES, seed: SEED })
  t.diagnostic(`seed ${report.seed}: ${report.framesSent} frames over ${report.connections} connections; kinds ${JSON.stringify(report.byKind)}`)
  t.diagnostic(`replies ${JSON.stringify(report.replies)}; error codes ${JSON.stringify(report.errorCodes)}`)
  assert.deepEqual(report.violations.slice(0, 10), [])
  assert.ok(report.framesSent >= FRAMES)
  // The fuzzer reached what matters: accepted requests, refusals, and connections closed for bad framing.
  for (const type of ['welcome', 'joined', 'ack', 'error']) assert.ok((report.replies[type] ?? 0) > 0, `some ${type} replies`)
  for (const code of ['invalid_message', 'malformed_frame', 'frame_too_large', 'invalid_utf8', 'unknown_type']) {
    assert.ok((report.errorCodes[code] ?? 0) > 0, `some ${code} errors`)
  }
})
