// The terminal client's parts, for apps that embed or script it; the `chat` command is bin.ts.
export { TerminalChat, HISTORY_ON_JOIN } from './terminal-chat.js'
export type { Printer } from './terminal-chat.js'
export { parseLine, parseTarget } from './line-commands.js'
export type { LineCommand, Target } from './line-commands.js'
export { LineFormat, style, timestamp, wantsColour } from './line-format.js'
export type { Style } from './line-format.js'
export { parseCommandLine, languageOf, UsageError } from './cli-options.js'
export type { CliOptions, ParsedCommandLine } from './cli-options.js'
