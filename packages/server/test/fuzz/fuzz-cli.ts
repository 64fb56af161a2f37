// `pnpm fuzz [frames] [seed]`: the fuzz target at any size (default 2,000,000 frames, a random seed, printed for replay).
import { fuzzServer } from './fuzz-server.js'

const frames = Number(process.argv[2] ?? 2_000_000)
const seed = Number(process.argv[3] ?? Math.floor(Math.random() * 2 ** 32))
console.log(`fuzzing the server with ${frames.toLocaleString('en')} frames, seed ${seed} (replay: pnpm fuzz ${frames} ${seed})`)
const started = performance.now()
const report = await fuzzServer({ frames, seed })
const seconds = (performance.now() - started) / 1000
console.log(`${report.framesSent} frames, ${report.connections} connections in ${seconds.toFixed(1)} s (${Math.round(report.framesSent / seconds)} frames/s)`)
console.log(`kinds ${JSON.stringify(report.byKind)}`)
console.log(`replies ${JSON.stringify(report.replies)}`)
console.log(`error codes ${JSON.stringify(report.errorCodes)}`)
if (report.violations.length > 0) {
  console.log(`${report.violations.length} violations; the first ones:\n${report.violations.slice(0, 20).join('\n')}`)
  process.exit(1)
}
console.log('no violations')
