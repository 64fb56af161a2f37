import { parseArgs } from 'node:util'
import { isLanguage, LANGUAGES, pickLanguage } from '@chat/strings'
import type { Language, Params, StringKey } from '@chat/strings'

export interface CliOptions {
  username: string
  /** `tcp://…`, `tls://…`, `ws://…` or `wss://…`. */
  url: string
  room: string
  askPassword: boolean
  register: boolean
  lang: Language
}

/** A command line that can't be run: shown with the usage, exit code 2. */
export class UsageError extends Error {
  constructor (readonly key: StringKey, readonly params: Params = {}) {
    super(key)
  }
}

export type ParsedCommandLine = { help: true, lang: Language } | { help: false, options: CliOptions }

/** The language: `--lang`, else the locale (`LC_ALL`, `LC_MESSAGES`, `LANG`), else English. */
export function languageOf (argv: readonly string[], env: NodeJS.ProcessEnv): Language {
  const index = argv.findIndex(arg => arg === '--lang' || arg.startsWith('--lang='))
  const flag = index === -1 ? undefined : argv[index].includes('=') ? argv[index].split('=')[1] : argv[index + 1]
  return isLanguage(flag) ? flag : pickLanguage([env.LC_ALL, env.LC_MESSAGES, env.LANG])
}

/** `host:port`, `[::1]:port`, or a URL with a scheme; a bare address is TCP. */
function addressUrl (address: string): string {
  return /^[a-z]+:\/\//i.test(address) ? address : `tcp://${address}`
}

export function parseCommandLine (argv: readonly string[], env: NodeJS.ProcessEnv): ParsedCommandLine {
  const lang = languageOf(argv, env)
  let parsed
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '7777' },
        room: { type: 'string', default: 'general' },
        password: { type: 'boolean', default: false },
        register: { type: 'boolean', default: false },
        lang: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false }
      }
    })
  } catch (err) {
    throw new UsageError('cli.badOption', { problem: (err as Error).message })
  }
  const { values, positionals } = parsed
  if (values.help) return { help: true, lang }
  if (values.lang !== undefined && !isLanguage(values.lang)) throw new UsageError('cli.badLanguage', { languages: LANGUAGES.join(', ') })
  const [username, address] = positionals
  if (username === undefined || username === '') throw new UsageError('cli.needsName')
  if (positionals.length > 2) throw new UsageError('cli.badOption', { problem: `unexpected "${positionals[2]}"` })
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError('cli.badPort')
  const host = values.host.includes(':') && !values.host.startsWith('[') ? `[${values.host}]` : values.host
  return {
    help: false,
    options: {
      username,
      url: address !== undefined ? addressUrl(address) : `tcp://${host}:${port}`,
      room: values.room.replace(/^#/, ''),
      askPassword: values.password || values.register,
      register: values.register,
      lang
    }
  }
}
