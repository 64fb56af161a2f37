/** What one line typed at the terminal asks for. */
export type LineCommand =
  | { type: 'say', text: string }
  | { type: 'to', target: Target | undefined }
  | { type: 'dm', to: string | undefined, text: string }
  | { type: 'reply', text: string }
  | { type: 'join', room: string | undefined }
  | { type: 'leave', room: string | undefined }
  | { type: 'rooms' }
  | { type: 'members', room: string | undefined }
  | { type: 'history', count: number | undefined, bad: boolean }
  | { type: 'help' }
  | { type: 'quit' }
  | { type: 'unknown', command: string }

/** Where plain lines go: a room, or a person (direct messages). */
export type Target = { room: string } | { user: string }

/** `#general` is a room, `alice` a person. */
export function parseTarget (word: string | undefined): Target | undefined {
  if (word === undefined || word === '' || word === '#') return undefined
  return word.startsWith('#') ? { room: word.slice(1) } : { user: word }
}

/** `/join #general` and `/join general` both name the room general. */
function roomName (word: string | undefined): string | undefined {
  if (word === undefined || word === '') return undefined
  return word.replace(/^#/, '')
}

/** Splits off the first word; the rest keeps its inner spacing. */
function firstWord (text: string): [string, string] {
  const match = /^(\S*)\s*([\s\S]*)$/.exec(text)!
  return [match[1], match[2]]
}

/** Reads one line (already trimmed, not empty). Never throws: a wrong command is `unknown`. */
export function parseLine (line: string): LineCommand {
  if (line === 'quit') return { type: 'quit' }
  const to = /^to:(\S+)\s*([\s\S]*)$/.exec(line)
  if (to !== null) return { type: 'dm', to: to[1], text: to[2] }
  if (!line.startsWith('/')) return { type: 'say', text: line }
  const [command, rest] = firstWord(line)
  const [arg, afterArg] = firstWord(rest)
  switch (command.toLowerCase()) {
    case '/to': return { type: 'to', target: parseTarget(arg) }
    case '/dm':
    case '/msg': return { type: 'dm', to: arg === '' ? undefined : arg, text: afterArg }
    case '/r':
    case '/reply': return { type: 'reply', text: rest }
    case '/join': return { type: 'join', room: roomName(arg) }
    case '/leave':
    case '/part': return { type: 'leave', room: roomName(arg) }
    case '/rooms': return { type: 'rooms' }
    case '/members':
    case '/who': return { type: 'members', room: roomName(arg) }
    case '/history': {
      if (arg === '') return { type: 'history', count: undefined, bad: false }
      const count = Number(arg)
      const bad = !Number.isSafeInteger(count) || count < 1
      return { type: 'history', count: bad ? undefined : count, bad }
    }
    case '/help':
    case '/?': return { type: 'help' }
    case '/quit':
    case '/exit': return { type: 'quit' }
    default: return { type: 'unknown', command }
  }
}
