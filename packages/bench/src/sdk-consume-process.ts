/**
 * The SDK consumption scenario in a process of its own: its figures are a
 * client's alone, not those of a bench process whose heap the earlier
 * scenarios' load generators grew (in a full run, messages() took 1.29 s of
 * CPU for 0.94 s in the same process, 0.51 s for 0.48 s alone).
 *
 *   node packages/bench/dist/src/sdk-consume-process.js <messages>   # prints the report as JSON
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { ScenarioReport } from './report.js'
import { sdkConsumeScenario } from './scenarios/sdk-consume.js'

const execFileAsync = promisify(execFile)
const SELF = fileURLToPath(import.meta.url)

/** Runs the scenario in a fresh Node process and reads its report back. */
export async function sdkConsumeInProcess (messages: number): Promise<ScenarioReport> {
  const { stdout } = await execFileAsync(process.execPath, [SELF, String(messages)], { maxBuffer: 16 * 1024 * 1024 })
  return JSON.parse(stdout) as ScenarioReport
}

if (process.argv[1] === SELF) {
  const messages = Number(process.argv[2])
  if (!Number.isSafeInteger(messages) || messages <= 0) throw new Error('usage: sdk-consume-process.js <messages>')
  process.stdout.write(JSON.stringify(await sdkConsumeScenario({ messages })))
}
