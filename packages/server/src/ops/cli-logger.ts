import { pino } from 'pino'
import type { DestinationStream } from 'pino'
import { formatFields } from '../logger.js'
import type { FullLogger, LogFields } from '../logger.js'

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const
export type LogLevel = typeof LOG_LEVELS[number]
export const LOG_FORMATS = ['json', 'pretty'] as const
export type LogFormat = typeof LOG_FORMATS[number]

const LEVEL_NAMES: Record<number, string> = { 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR' }

/** pino's JSON lines made readable: `12:03:04.567 INFO listening on 127.0.0.1:7777 key=value`. */
function prettyLines (out: NodeJS.WritableStream): DestinationStream {
  return {
    write (line: string): void {
      const { level, time, msg, ...fields } = JSON.parse(line) as { level: number, time: string, msg: string } & LogFields
      const at = time.slice(11, 23)
      out.write(`${at} ${LEVEL_NAMES[level] ?? level} ${msg}${formatFields(fields)}\n`)
    }
  }
}

/**
 * The CLI's logger: pino, one JSON object per line on stderr (`json`, what
 * log collectors read), or the same lines for a person (`pretty`).
 */
export function cliLogger (level: LogLevel, format: LogFormat, out: NodeJS.WritableStream = process.stderr): FullLogger {
  const destination = format === 'pretty' ? prettyLines(out) : { write: (line: string) => { out.write(line) } }
  const log = pino({ level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, destination)
  return {
    debug: (message, fields) => { log.debug(fields ?? {}, message) },
    info: (message, fields) => { log.info(fields ?? {}, message) },
    warn: (message, fields) => { log.warn(fields ?? {}, message) },
    error: (message, fields) => { log.error(fields ?? {}, message) }
  }
}
