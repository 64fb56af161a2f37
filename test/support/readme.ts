import { readFileSync } from 'node:fs'

export interface CodeBlock {
  /** The info string after the opening fence: `ts`, `sh`, ... */
  lang: string
  code: string
}

/** The fenced code blocks of the `## heading` section of a markdown file, in order. */
export function codeBlocks (file: string, heading: string): CodeBlock[] {
  const markdown = readFileSync(file, 'utf8')
  const start = markdown.indexOf(`\n## ${heading}\n`)
  if (start === -1) throw new Error(`${file} has no "## ${heading}" section`)
  const next = markdown.indexOf('\n## ', start + 1)
  const section = markdown.slice(start, next === -1 ? undefined : next)
  return [...section.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map(([, lang, code]) => ({ lang, code }))
}

/** The commands of a `sh` block that start with `prefix`, each split into words, its `# comment` dropped. */
export function commands (block: CodeBlock, prefix: string): string[][] {
  return block.code.split('\n')
    .map(line => line.replace(/\s+#.*$/, '').trim())
    .filter(line => line.startsWith(prefix))
    .map(line => line.split(/\s+/))
}
