/** Facts about a log line, for machines: numbers and names, never a password or a message's text. */
export type LogFields = Record<string, string | number | boolean | undefined>

export interface Logger {
  info: (message: string, fields?: LogFields) => void
  warn: (message: string, fields?: LogFields) => void
  /** Failures an operator must see (a damaged or full store). Optional: a logger without it gets them as `warn`. */
  error?: (message: string, fields?: LogFields) => void
  /** Detail for debugging. Optional: a logger without it gets none. */
  debug?: (message: string, fields?: LogFields) => void
}

/** A logger whose every level is there (what the server uses inside). */
export type FullLogger = Required<Logger>

export const silentLogger: FullLogger = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} }

/** Timestamped lines on stderr, fields as `key=value`: a plain logger for embedding. The CLI uses `cliLogger`. */
export const consoleLogger: FullLogger = {
  info: (message, fields) => { process.stderr.write(`${new Date().toISOString()} ${message}${formatFields(fields)}\n`) },
  warn: (message, fields) => { process.stderr.write(`${new Date().toISOString()} WARN ${message}${formatFields(fields)}\n`) },
  error: (message, fields) => { process.stderr.write(`${new Date().toISOString()} ERROR ${message}${formatFields(fields)}\n`) },
  debug: () => {}
}

/** ` key=value ...` for the fields that have a value. */
export function formatFields (fields: LogFields | undefined): string {
  if (fields === undefined) return ''
  let text = ''
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) text += ` ${key}=${String(value)}`
  return text
}

/** Every level of `logger`: errors go to `warn` when it has no `error`; no `debug`, no debug lines. */
export function fullLogger (logger: Logger): FullLogger {
  if (logger.error !== undefined && logger.debug !== undefined) return logger as FullLogger
  return {
    info: (message, fields) => { logger.info(message, fields) },
    warn: (message, fields) => { logger.warn(message, fields) },
    error: (message, fields) => { (logger.error ?? logger.warn)(message, fields) },
    debug: (message, fields) => { logger.debug?.(message, fields) }
  }
}
