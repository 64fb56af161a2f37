import { execFileSync } from 'node:child_process'

/** True if `command` is on the PATH (peers are optional: skipped with a note when absent). */
export function installed (command: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}
