import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cleanEnv, runOk } from './command.js'

/** The repository's root (this file is compiled to test/dist/support/). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

export interface Manifest {
  name: string
  version: string
  private?: boolean
  [field: string]: unknown
}

export interface Tarball {
  /** The package's folder in the repository. */
  source: string
  /** The .tgz file. */
  file: string
  bytes: number
  /** Where it was unpacked, and the paths in it (relative, sorted). */
  unpacked: string
  files: string[]
  unpackedBytes: number
  manifest: Manifest
}

/** The folders of the packages that are published: every `packages/*` not marked private. */
export function publicPackages (): string[] {
  const dir = join(ROOT, 'packages')
  return readdirSync(dir)
    .map(name => join(dir, name))
    .filter(folder => {
      try {
        return (JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Manifest).private !== true
      } catch {
        return false
      }
    })
}

/** `pnpm pack`s a package into `into` (running its prepack, as a release does), then unpacks it beside. */
export async function pack (source: string, into: string): Promise<Tarball> {
  const { stdout } = await runOk('pnpm', ['pack', '--pack-destination', into], { cwd: source, env: cleanEnv(), timeoutMs: 120_000 })
  const name = stdout.trim().split('\n').at(-1)!.trim()
  const file = name.startsWith('/') ? name : join(into, name)
  const unpacked = file.replace(/\.tgz$/, '')
  mkdirSync(unpacked)
  await runOk('tar', ['-xzf', file, '-C', unpacked, '--strip-components=1'], { cwd: into })
  const files = walk(unpacked).map(path => relative(unpacked, path)).sort()
  return {
    source,
    file,
    bytes: statSync(file).size,
    unpacked,
    files,
    unpackedBytes: files.reduce((sum, path) => sum + statSync(join(unpacked, path)).size, 0),
    manifest: JSON.parse(readFileSync(join(unpacked, 'package.json'), 'utf8')) as Manifest
  }
}

function walk (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? walk(path) : [path]
  })
}
