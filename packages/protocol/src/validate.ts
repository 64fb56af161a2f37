import { ErrorCodes, ProtocolError } from './errors.js'
import { PROTOCOL_VERSION } from './limits.js'
import type { ClientMessage, ServerMessage } from './messages.js'
import { CLIENT_FIELDS, SERVER_FIELDS } from './schema.js'
import type { FieldKind, FieldSpec } from './schema.js'

function isUint (value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
}

function matches (kind: FieldKind, value: unknown): boolean {
  switch (kind) {
    case 'uint': return isUint(value)
    case 'string': return typeof value === 'string'
    case 'bool': return typeof value === 'boolean'
    case 'strings': return Array.isArray(value) && value.every(v => typeof v === 'string')
    case 'rooms': return Array.isArray(value) && value.every(r =>
      r !== null && typeof r === 'object' && typeof r.room === 'string' && isUint(r.members))
    case 'messages': return Array.isArray(value) && value.every(m =>
      m !== null && typeof m === 'object' && isUint(m.id) && typeof m.from === 'string' &&
      typeof m.text === 'string' && isUint(m.ts))
    case 'rows': return Array.isArray(value) && value.length > 0 && value.every((row, i) =>
      Array.isArray(row) && typeof row[0] === 'string' && typeof row[1] === 'string' &&
      (row.length === 3 ? isUint(row[2]) : row.length === 2 && i > 0))
  }
}

/**
 * Every string is well-formed Unicode. JSON can carry a lone surrogate as an
 * escape (`"\ud800"`); it has no UTF-8 form, so it could be neither stored
 * nor sent on as it came (it would turn into U+FFFD).
 */
function wellFormed (kind: FieldKind, value: any): boolean {
  switch (kind) {
    case 'string': return (value as string).isWellFormed()
    case 'strings': return (value as string[]).every(s => s.isWellFormed())
    case 'rooms': return (value as Array<{ room: string }>).every(r => r.room.isWellFormed())
    case 'messages': return (value as Array<Record<string, unknown>>).every(m =>
      Object.values(m).every(field => typeof field !== 'string' || field.isWellFormed()))
    case 'rows': return (value as string[][]).every(row => row[0].isWellFormed() && row[1].isWellFormed())
    default: return true
  }
}

/** A schema's field specs parsed once, not on every message. */
interface FieldCheck { name: string, kind: FieldKind, optional: boolean }
type CompiledSchema = Map<string, FieldCheck[]>

function compile (schema: Readonly<Record<string, Readonly<Record<string, FieldSpec>>>>): CompiledSchema {
  const compiled: CompiledSchema = new Map()
  for (const [type, fields] of Object.entries(schema)) {
    compiled.set(type, Object.entries(fields).map(([name, spec]) => {
      const optional = spec.endsWith('?')
      return { name, kind: (optional ? spec.slice(0, -1) : spec) as FieldKind, optional }
    }))
  }
  return compiled
}

/**
 * A hello's version is checked before anything else in it (PROTOCOL.md §4):
 * a hello of another version, or with no version a receiver can read, may
 * have other fields, and is `unsupported_version`, not `invalid_message`.
 */
function checkVersion (obj: Record<string, unknown>, req: number | undefined): void {
  if (obj.v === PROTOCOL_VERSION) return
  const v = obj.v === undefined ? 'no "v"' : `"v" ${String(JSON.stringify(obj.v)).slice(0, 20)}`
  throw new ProtocolError(ErrorCodes.UNSUPPORTED_VERSION, `this side speaks protocol version ${PROTOCOL_VERSION}; the hello has ${v}`, req)
}

function validate (value: unknown, schema: CompiledSchema, versioned?: string): any {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ProtocolError(ErrorCodes.INVALID_MESSAGE, 'a message must be a JSON object')
  }
  const obj = value as Record<string, unknown>
  // Read `req` first so that every later refusal can reference the request.
  const req = isUint(obj.req) ? obj.req : undefined
  if (typeof obj.type !== 'string') {
    throw new ProtocolError(ErrorCodes.INVALID_MESSAGE, 'a message needs a string "type"', req)
  }
  const fields = schema.get(obj.type)
  if (fields === undefined) {
    throw new ProtocolError(ErrorCodes.UNKNOWN_TYPE, `unknown message type "${obj.type.slice(0, 32)}"`, req)
  }
  if (obj.type === versioned) checkVersion(obj, req)
  for (const { name, kind, optional } of fields) {
    const field = obj[name]
    if (field === undefined && optional) continue
    if (!matches(kind, field)) {
      throw new ProtocolError(ErrorCodes.INVALID_MESSAGE, `"${obj.type}" needs "${name}" to be ${optional ? 'absent or ' : ''}${kind}`, req)
    }
    if (!wellFormed(kind, field)) {
      throw new ProtocolError(ErrorCodes.INVALID_MESSAGE, `"${obj.type}" has a lone surrogate in "${name}": strings must be well-formed Unicode`, req)
    }
  }
  // A run's last id is a uint too.
  if (obj.type === 'msgs' && (obj.id as number) > Number.MAX_SAFE_INTEGER - ((obj.rows as unknown[]).length - 1)) {
    throw new ProtocolError(ErrorCodes.INVALID_MESSAGE, '"msgs" has ids past 2^53 - 1', req)
  }
  return obj
}

// Pure, as the tables: a bundle that never checks one side's messages leaves its checks out.
const CLIENT_CHECKS = /* @__PURE__ */ compile(CLIENT_FIELDS)
const SERVER_CHECKS = /* @__PURE__ */ compile(SERVER_FIELDS)

/**
 * Checks that a parsed value is a well-formed client message. Unknown extra
 * fields are kept (forward compatibility). A hello whose `v` is not this
 * package's version is `unsupported_version` (fatal).
 */
export function validateClientMessage (value: unknown): ClientMessage {
  return validate(value, CLIENT_CHECKS, 'hello')
}

/** Checks that a parsed value is a well-formed server message. */
export function validateServerMessage (value: unknown): ServerMessage {
  return validate(value, SERVER_CHECKS)
}
