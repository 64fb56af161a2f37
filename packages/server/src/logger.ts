export interface Logger {
  info: (message: string) => void
  warn: (message: string) => void
  /** Failures an operator must see (a damaged or full store). Optional: a logger without it gets them as `warn`. */
  error?: (message: string) => void
}

/** A logger whose every level is there (what the server uses inside). */
export type FullLogger = Required<Logger>

export const silentLogger: FullLogger = { info: () => {}, warn: () => {}, error: () => {} }

/** Timestamped lines on stderr, for the CLI. */
export const consoleLogger: FullLogger = {
  info: message => { process.stderr.write(`${new Date().toISOString()} ${message}\n`) },
  warn: message => { process.stderr.write(`${new Date().toISOString()} WARN ${message}\n`) },
  error: message => { process.stderr.write(`${new Date().toISOString()} ERROR ${message}\n`) }
}

/** Every level of `logger`: errors go to `warn` when it has no `error`. */
export function fullLogger (logger: Logger): FullLogger {
  if (logger.error !== undefined) return logger as FullLogger
  return { info: message => { logger.info(message) }, warn: message => { logger.warn(message) }, error: message => { logger.warn(message) } }
}
