import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import {
  CLIENT_FIELDS, decodeClientMessage, decodeServerMessage, DEFAULT_MAX_FRAME_BYTES, encodeFrame, FrameDecoder, SERVER_FIELDS
} from '../src/index.js'
import type { ClientMessage, FieldKind, FieldSpec } from '../src/index.js'

// PROTOCOL.md is the normative text: its message tables must say what the decoders check.

const doc = readFileSync(new URL('../../PROTOCOL.md', import.meta.url), 'utf8')

/** The text of the section whose heading starts `## <number>.`, up to the next section. */
function section (number: number): string {
  const start = doc.indexOf(`\n## ${number}. `)
  assert.ok(start >= 0, `PROTOCOL.md has a section ${number}`)
  const end = doc.indexOf('\n## ', start + 1)
  return doc.slice(start, end < 0 ? undefined : end)
}

/** How the tables write each kind (PROTOCOL.md §3). */
const DOC_KINDS: Record<string, FieldKind> = {
  uint: 'uint', string: 'string', bool: 'bool', 'string[]': 'strings', 'RoomInfo[]': 'rooms', 'msg[]': 'messages', 'MessageRow[]': 'rows'
}

/** The message table of a section: rows `| \`type\` | \`name: kind\`, \`name?: kind\` ... |`. */
function messageTable (text: string): Record<string, Record<string, FieldSpec>> {
  const table: Record<string, Record<string, FieldSpec>> = {}
  for (const row of text.matchAll(/^\| `([a-z_]+)` \| ([^|]*) \|/gm)) {
    const [, type, cell] = row
    assert.equal(table[type], undefined, `${type} appears once`)
    table[type] = {}
    for (const [, name, optional, docKind] of cell.matchAll(/`(\w+)(\?)?: ([\w[\]]+)`/g)) {
      const kind = DOC_KINDS[docKind]
      assert.ok(kind !== undefined, `${type}.${name}: unknown kind ${docKind} in PROTOCOL.md`)
      table[type][name] = optional === undefined ? kind : `${kind}?`
    }
  }
  return table
}

describe('PROTOCOL.md', () => {
  it('§5 lists every client message with exactly the fields and kinds of CLIENT_FIELDS', () => {
    assert.deepEqual(messageTable(section(5)), CLIENT_FIELDS)
  })

  it('§6 lists every server message with exactly the fields and kinds of SERVER_FIELDS', () => {
    assert.deepEqual(messageTable(section(6)), SERVER_FIELDS)
  })

  it('the bytes of the worked example (§15) are the frames they say, and decode with the real codec', () => {
    const text = section(15)
    // The hex dump of the hello: the bytes are the first column of each line of the first code block.
    const dump = text.slice(text.indexOf('```\n') + 4, text.indexOf('\n```', text.indexOf('```\n')))
    const helloBytes = Uint8Array.from(dump.split('\n').flatMap(line => line.slice(0, 48).trim().split(/\s+/)).map(hex => parseInt(hex, 16)))
    const hello = { type: 'hello', v: 1, req: 1, username: 'alice' }
    assert.equal(helloBytes.length, 50)
    assert.deepEqual(helloBytes, Uint8Array.from(encodeFrame(hello as ClientMessage)))
    // The ping and the pong, written inline as hex.
    const inline = [...text.matchAll(/`((?:[0-9a-f]{2} ){10,}[0-9a-f]{2})`/g)].map(([, hex]) => Uint8Array.from(hex.split(' ').map(b => parseInt(b, 16))))
    assert.equal(inline.length, 2)
    const frames = new FrameDecoder(DEFAULT_MAX_FRAME_BYTES)
    const decoded = [helloBytes, ...inline].flatMap(bytes => frames.push(bytes).map(body => body.subarray()))
    assert.deepEqual(decodeClientMessage(decoded[0]), hello)
    assert.deepEqual(decodeServerMessage(decoded[1]), { type: 'ping', n: 1 })
    assert.deepEqual(decodeClientMessage(decoded[2]), { type: 'pong', n: 1 })
    // "A 250-byte body gets a two-byte prefix ... the frame starts fa 01 7b".
    const bye = { type: 'bye' as const, message: 'x'.repeat(250 - JSON.stringify({ type: 'bye', message: '' }).length) }
    assert.deepEqual(Uint8Array.from(encodeFrame(bye).subarray(0, 3)), Uint8Array.from([0xfa, 0x01, 0x7b]))
  })

  it('every frame of the worked example (§15) carries every field its type requires, with the kind it must have', () => {
    const lines = section(15).split('\n').filter(line => /^[→←] \{/.test(line))
    for (const line of lines) {
      const message = JSON.parse(line.slice(2)) as Record<string, unknown> & { type: string }
      const schema: Record<string, FieldSpec> = line.startsWith('→')
        ? (CLIENT_FIELDS as Record<string, Record<string, FieldSpec>>)[message.type]
        : (SERVER_FIELDS as Record<string, Record<string, FieldSpec>>)[message.type]
      assert.ok(schema !== undefined, line)
      for (const [name, spec] of Object.entries(schema)) {
        if (spec.endsWith('?')) continue
        assert.ok(name in message, `${line}: the required "${name}" is missing`)
      }
    }
  })

  it('every frame of the worked example (§15) decodes', () => {
    const lines = section(15).split('\n').filter(line => /^[→←] \{/.test(line))
    assert.ok(lines.length > 10)
    const utf8 = new TextEncoder()
    for (const line of lines) {
      const json = line.slice(2)
      const decode = line.startsWith('→') ? decodeClientMessage : decodeServerMessage
      assert.deepEqual(decode(utf8.encode(json)), JSON.parse(json), line)
    }
  })
})
