export interface Logger {
  info: (message: string) => void
  warn: (message: string) => void
}

export const silentLogger: Logger = { info: () => {}, warn: () => {} }

/** Timestamped lines on stderr, for the CLI. */
export const consoleLogger: Logger = {
  info: message => { process.stderr.write(`${new Date().toISOString()} ${message}\n`) },
  warn: message => { process.stderr.write(`${new Date().toISOString()} WARN ${message}\n`) }
}
