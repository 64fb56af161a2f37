import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { CLIENT_FIELDS, decodeClientMessage, decodeServerMessage, SERVER_FIELDS } from '../src/index.js'
import type { FieldKind, FieldSpec } from '../src/index.js'

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
  uint: 'uint', string: 'string', bool: 'bool', 'string[]': 'strings', 'RoomInfo[]': 'rooms', 'msg[]': 'messages'
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
