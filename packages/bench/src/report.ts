/** A table cell: numbers, text, yes/no; anything else in a row (nested results) is not shown. */
export type Cell = unknown

export interface Column {
  key: string
  header: string
}

/** One scenario's outcome: a table for people, and results for the JSON line. */
export interface ScenarioReport {
  scenario: string
  title: string
  columns: Column[]
  rows: Array<Record<string, Cell>>
  notes: string[]
  results: unknown[]
  /** The machine's pace just before and after the scenario ran (`machine-pace.ts`), if it was taken. */
  pace?: Pace
}

/** The machine's pace (parses a second of one fixed JSON loop) just before and just after a scenario. */
export interface Pace {
  before: number
  after: number
}

/** The report as a Markdown table (readable in a terminal too). */
export function markdown (report: ScenarioReport): string {
  const header = `| ${report.columns.map(c => c.header).join(' | ')} |`
  // Figures right-aligned; the first column and the notes left.
  const rule = `| ${report.columns.map((c, i) => i === 0 || c.key === 'notes' ? '---' : '---:').join(' | ')} |`
  const rows = report.rows.map(row => `| ${report.columns.map(c => format(row[c.key])).join(' | ')} |`)
  const notes = report.notes.map(n => `- ${n}`)
  return [`### ${report.title}`, '', header, rule, ...rows, ...(notes.length > 0 ? ['', ...notes] : [])].join('\n')
}

/** The JSON line of a scenario. */
export function jsonLine (report: ScenarioReport, date: string): string {
  return JSON.stringify({ scenario: report.scenario, date, pace: report.pace, results: report.results })
}

function format (cell: Cell): string {
  if (cell === undefined || cell === null) return ''
  if (typeof cell === 'boolean') return cell ? 'yes' : '**NO**'
  if (typeof cell === 'number') {
    if (!Number.isFinite(cell)) return '–'
    return Number.isInteger(cell) ? cell.toLocaleString('en-US') : String(cell)
  }
  if (typeof cell === 'string') return cell.replace(/\|/g, '\\|')
  return ''
}

export function ratio (value: number | undefined, reference: number | undefined): number | undefined {
  if (value === undefined || reference === undefined || reference === 0 || !Number.isFinite(value)) return undefined
  return Math.round(value / reference * 100) / 100
}
