// Removes compiled files whose TypeScript source is gone. `tsc -b` never deletes
// the output of a moved or deleted file, and such orphans would otherwise be
// packed into a release or picked up by the test runner.
//   node scripts/prune-stale-output.mjs [project dir ...]   (default: every project of the root tsconfig)
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const OUTPUT = /\.(?:d\.ts\.map|js\.map|d\.ts|js)$/
/** The sources tsc compiles: TypeScript, and TSX (the web page's components). */
const SOURCES = ['.ts', '.tsx']

function projects () {
  const { references } = JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8'))
  return references.map(ref => join(root, ref.path))
}

/** Deletes orphans under `dir` (a project's dist, mirroring the project's own folder); returns how many. */
function prune (project, dir) {
  let removed = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) {
      removed += prune(project, path)
      if (readdirSync(path).length === 0) rmdirSync(path)
    } else if (OUTPUT.test(entry.name)) {
      const source = join(project, relative(join(project, 'dist'), path)).replace(OUTPUT, '')
      if (!SOURCES.some(ext => existsSync(source + ext))) {
        rmSync(path)
        removed++
      }
    }
  }
  return removed
}

const dirs = process.argv.length > 2 ? process.argv.slice(2) : projects()
let removed = 0
for (const project of dirs) {
  const dist = join(project, 'dist')
  if (existsSync(dist)) removed += prune(project, dist)
}
if (removed > 0) console.error(`prune-stale-output: removed ${removed} compiled file(s) whose source is gone`)
