// chat-server's settings from a file, the environment and the command line, in that order of strength.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Harness } from '@chat/testing'

const BIN = fileURLToPath(new URL('../src/bin.js', import.meta.url))

type Printed = Record<string, { value: unknown, from: string }>

async function printConfig (h: Harness, args: string[], env: Record<string, string> = {}): Promise<Printed> {
  const proc = h.node([BIN, ...args, '--print-config'], { env })
  assert.equal((await proc.waitExit()).code, 0, proc.stderr)
  return JSON.parse(proc.stdout) as Printed
}

describe('chat-server settings', () => {
  it('takes a YAML or JSON file (flag names or camelCase), CHAT_* variables over it, and flags over both', async t => {
    const h = new Harness(t)
    const dir = h.tempDir()
    const yaml = join(dir, 'chat.yaml')
    writeFileSync(yaml, 'port: 9001\nhttpPort: 9002\nauth: open\nallowed-origins:\n  - https://a.example\n  - https://b.example\nwsCompression: true\n')
    const printed = await printConfig(h, ['--config', yaml, '--host', '0.0.0.0'], { CHAT_PORT: '9003', CHAT_DURABILITY: 'normal' })
    assert.deepEqual(printed.host, { value: '0.0.0.0', from: '--host' })
    assert.deepEqual(printed.port, { value: '9003', from: 'CHAT_PORT' })
    assert.deepEqual(printed['http-port'], { value: '9002', from: 'chat.yaml' })
    assert.deepEqual(printed.auth, { value: 'open', from: 'chat.yaml' })
    assert.deepEqual(printed.durability, { value: 'normal', from: 'CHAT_DURABILITY' })
    assert.deepEqual(printed['allowed-origins'], { value: 'https://a.example,https://b.example', from: 'chat.yaml' })
    assert.deepEqual(printed['ws-compression'], { value: true, from: 'chat.yaml' })
    assert.deepEqual(printed.data, { value: './data', from: 'default' })

    const json = join(dir, 'chat.json')
    writeFileSync(json, JSON.stringify({ port: 9100, 'log-level': 'warn' }))
    const fromJson = await printConfig(h, [], { CHAT_CONFIG: json })
    assert.deepEqual([fromJson.port, fromJson['log-level']], [{ value: '9100', from: 'chat.json' }, { value: 'warn', from: 'chat.json' }])
    assert.deepEqual((await printConfig(h, ['--port', '9200'], { CHAT_CONFIG: json })).port, { value: '9200', from: '--port' })
  })

  it('runs with what the file says', async t => {
    const h = new Harness(t)
    const file = join(h.tempDir(), 'chat.json')
    writeFileSync(file, JSON.stringify({ port: 0, noHttp: true, memory: true, logFormat: 'pretty' }))
    const proc = await h.serverProcess([BIN, '--config', file])
    assert.match(proc.stderr, /INFO keeping messages in memory only/)
    assert.doesNotMatch(proc.stderr, /http listening/)
  })

  it('refuses, saying where: an unknown setting, a wrong type, a bad value from a variable, a missing or broken file', async t => {
    const h = new Harness(t)
    const dir = h.tempDir()
    const refused = async (args: string[], env: Record<string, string>, message: RegExp): Promise<void> => {
      const proc = h.node([BIN, ...args], { env })
      assert.equal((await proc.waitExit()).code, 2)
      assert.match(proc.stderr, message)
    }
    const write = (name: string, text: string): string => {
      writeFileSync(join(dir, name), text)
      return join(dir, name)
    }
    await refused(['--config', write('typo.json', '{"prot": 1}')], {}, /typo\.json: unknown setting "prot"/)
    await refused(['--config', write('types.yaml', 'memory: "yes"\n')], {}, /types\.yaml: memory must be true or false/)
    await refused(['--config', write('list.yaml', '- 1\n- 2\n')], {}, /must hold an object of settings/)
    await refused(['--config', write('broken.json', '{"port": ')], {}, /broken\.json is not valid JSON or YAML/)
    await refused(['--config', join(dir, 'absent.json')], {}, /cannot read the config file .*absent\.json/)
    await refused(['--memory'], { CHAT_PORT: 'abc' }, /--port needs a whole number, got "abc" \(from CHAT_PORT\)/)
    await refused(['--memory'], { CHAT_NO_HTTP: 'maybe' }, /CHAT_NO_HTTP must be true or false/)
    await refused(['--memory', '--config', write('auth.yaml', 'auth: sometimes\n')], {}, /--auth must be one of open, accounts, required, got "sometimes" \(from auth\.yaml\)/)
  })
})
