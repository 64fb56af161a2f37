import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'

/**
 * A fresh directory for a server's SQLite store, removed after the test.
 * `t.after` hooks run in the order they were added: create the `Harness`
 * first, so its servers are closed before their directory is removed.
 */
export function tempDataDir (t: TestContext, prefix = 'chat-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  t.after(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}
