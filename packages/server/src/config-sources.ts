import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import { parse as parseYaml } from 'yaml'
import { SERVER_FLAGS } from './cli-flags.js'
import type { ServerFlag } from './cli-flags.js'

/** Settings that only the command line gives. */
const COMMAND_LINE_ONLY = new Set<string>(['config', 'print-config', 'help'])

/** A setting that can't be used, and where it came from. */
export class ConfigError extends Error {}

export interface LayeredSettings {
  /** The command line to parse: the file's settings, then the environment's, then the real arguments (the last of a setting wins). */
  argv: string[]
  /** Where each setting that was given came from: `--port`, `CHAT_PORT`, `chat.yaml`. */
  sources: Map<ServerFlag, string>
}

/** `CHAT_HTTP_PORT` for `http-port`. */
export function envName (flag: string): string {
  return `CHAT_${flag.toUpperCase().replaceAll('-', '_')}`
}

/** `http-port` for `httpPort` or `http-port`. */
function flagName (key: string): string {
  return key.replace(/[A-Z]/g, letter => `-${letter.toLowerCase()}`)
}

function isFlag (name: string): name is ServerFlag {
  return Object.hasOwn(SERVER_FLAGS, name) && !COMMAND_LINE_ONLY.has(name)
}

/** `--flag value` or `--flag=value`: the value of the last one. */
function argumentValue (argv: readonly string[], flag: string): string | undefined {
  let value: string | undefined
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${flag}`) value = argv[i + 1]
    else if (argv[i].startsWith(`--${flag}=`)) value = argv[i].slice(flag.length + 3)
  }
  return value
}

function asArgument (flag: ServerFlag, value: unknown, where: string): string[] {
  if (SERVER_FLAGS[flag].type === 'boolean') {
    if (typeof value !== 'boolean') throw new ConfigError(`${where}: ${flag} must be true or false, got ${JSON.stringify(value)}`)
    return value ? [`--${flag}`] : []
  }
  if (Array.isArray(value) && value.every(item => typeof item === 'string')) return [`--${flag}=${value.join(',')}`]
  if (typeof value !== 'string' && typeof value !== 'number') throw new ConfigError(`${where}: ${flag} must be a string or a number, got ${JSON.stringify(value)}`)
  return [`--${flag}=${String(value)}`]
}

/** The settings of a JSON or YAML file: an object whose keys are setting names. */
function fileSettings (path: string): Array<[ServerFlag, unknown]> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new ConfigError(`cannot read the config file ${path}: ${(err as Error).message}`)
  }
  let settings: unknown
  try {
    settings = parseYaml(text) // YAML is a superset of JSON: one parser for both
  } catch (err) {
    throw new ConfigError(`${path} is not valid JSON or YAML: ${(err as Error).message}`)
  }
  if (settings === null || settings === undefined) return []
  if (typeof settings !== 'object' || Array.isArray(settings)) throw new ConfigError(`${path} must hold an object of settings, such as { "port": 7777 }`)
  return Object.entries(settings).map(([key, value]) => {
    const flag = flagName(key)
    if (!isFlag(flag)) throw new ConfigError(`${path}: unknown setting "${key}" (chat-server --help lists them)`)
    return [flag, value]
  })
}

/**
 * The settings from every source, as one command line: defaults (in
 * SERVER_FLAGS) < the config file (`--config`, or `CHAT_CONFIG`) < the
 * environment (`CHAT_*`) < the command line.
 */
export function layerSettings (argv: readonly string[], env: NodeJS.ProcessEnv): LayeredSettings {
  const sources = new Map<ServerFlag, string>()
  const layered: string[] = []
  const configFile = argumentValue(argv, 'config') ?? env.CHAT_CONFIG
  if (configFile !== undefined && configFile !== '') {
    for (const [flag, value] of fileSettings(configFile)) {
      layered.push(...asArgument(flag, value, basename(configFile)))
      sources.set(flag, basename(configFile))
    }
  }
  for (const flag of Object.keys(SERVER_FLAGS)) {
    const value = env[envName(flag)]
    if (!isFlag(flag) || value === undefined || value === '') continue
    const isBoolean = SERVER_FLAGS[flag].type === 'boolean'
    if (isBoolean && !/^(true|false|1|0|yes|no)$/i.test(value)) throw new ConfigError(`${envName(flag)} must be true or false, got "${value}"`)
    layered.push(...asArgument(flag, isBoolean ? /^(true|1|yes)$/i.test(value) : value, envName(flag)))
    sources.set(flag, envName(flag))
  }
  for (const arg of argv) {
    const flag = /^--([a-z-]+)/.exec(arg)?.[1]
    if (flag !== undefined && isFlag(flag)) sources.set(flag, `--${flag}`)
  }
  return { argv: [...layered, ...argv], sources }
}
