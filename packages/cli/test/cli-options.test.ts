import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { parseCommandLine, UsageError } from '../src/cli-options.js'
import { timestamp, wantsColour } from '../src/line-format.js'

const options = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
  const parsed = parseCommandLine(argv, env)
  assert.equal(parsed.help, false)
  return parsed.options
}

describe('the command line', () => {
  it('takes a name, and an address as a URL, host:port, or --host and --port', () => {
    assert.equal(options(['alice']).url, 'tcp://127.0.0.1:7777')
    assert.equal(options(['alice', 'ws://chat.example:7780/ws']).url, 'ws://chat.example:7780/ws')
    assert.equal(options(['alice', '10.0.0.2:9000']).url, 'tcp://10.0.0.2:9000')
    assert.equal(options(['--host', '::1', '--port', '9000', 'alice']).url, 'tcp://[::1]:9000')
    assert.equal(options(['--room', '#dev', 'alice']).room, 'dev')
  })

  it('asks for a password with --password or --register', () => {
    assert.equal(options(['alice']).askPassword, false)
    assert.equal(options(['--password', 'alice']).askPassword, true)
    assert.deepEqual([options(['--register', 'alice']).askPassword, options(['--register', 'alice']).register], [true, true])
  })

  it('speaks --lang, else the locale, else English', () => {
    assert.equal(options(['alice']).lang, 'en')
    assert.equal(options(['alice'], { LANG: 'zh_CN.UTF-8' }).lang, 'zh')
    assert.equal(options(['alice'], { LANG: 'zh_CN.UTF-8', LC_ALL: 'en_GB.UTF-8' }).lang, 'en')
    assert.equal(options(['--lang', 'zh', 'alice'], { LANG: 'en_US.UTF-8' }).lang, 'zh')
  })

  it('refuses what it cannot run, with a reason', () => {
    const refused = (argv: string[], key: string): void => {
      assert.throws(() => parseCommandLine(argv, {}), (err: unknown) => err instanceof UsageError && err.key === key)
    }
    refused([], 'cli.needsName')
    refused(['--port', '70000', 'alice'], 'cli.badPort')
    refused(['--lang', 'fr', 'alice'], 'cli.badLanguage')
    refused(['--colour', 'alice'], 'cli.badOption')
    refused(['alice', 'tcp://a:1', 'extra'], 'cli.badOption')
    assert.equal(parseCommandLine(['--help'], {}).help, true)
  })
})

describe('how lines look', () => {
  it('stamps today\'s messages [HH:MM] and older ones with their date', () => {
    const now = new Date(2026, 11, 1, 15, 30).getTime()
    assert.equal(timestamp(new Date(2026, 11, 1, 9, 5).getTime(), now), '[09:05]')
    assert.equal(timestamp(new Date(2026, 10, 30, 23, 59).getTime(), now), '[2026-11-30 23:59]')
  })

  it('colours only a terminal, and never with NO_COLOR', () => {
    assert.equal(wantsColour({}, true), true)
    assert.equal(wantsColour({ NO_COLOR: '1' }, true), false)
    assert.equal(wantsColour({}, false), false)
    assert.equal(wantsColour({}, undefined), false)
  })
})
