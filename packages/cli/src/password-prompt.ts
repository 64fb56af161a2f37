import type { Readable, Writable } from 'node:stream'

interface TerminalInput extends Readable {
  isTTY?: boolean
  setRawMode?: (raw: boolean) => unknown
}

/**
 * Reads a password without showing it: on a terminal, in raw mode, echoing
 * nothing (backspace works, Ctrl-C cancels); from a pipe, one line.
 */
export async function readPassword (prompt: string, input: TerminalInput, output: Writable): Promise<string> {
  output.write(prompt)
  const raw = input.isTTY === true && typeof input.setRawMode === 'function'
  if (raw) input.setRawMode!(true)
  input.setEncoding('utf8')
  input.resume()
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = ''
      const onData = (chunk: string): void => {
        let index = 0
        for (const char of chunk) {
          index += char.length
          if (char === '\r' || char === '\n') {
            done()
            // What came after the line is the chat's input, not the password's.
            const rest = chunk.slice(index).replace(/^\n/, '')
            if (rest !== '') input.unshift(rest)
            resolve(typed)
            return
          }
          if (char === '\u0003') { // Ctrl-C
            done()
            reject(new Error('cancelled'))
            return
          }
          if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1)
          else typed += char
        }
      }
      const onEnd = (): void => {
        done()
        resolve(typed)
      }
      const done = (): void => {
        input.off('data', onData)
        input.off('end', onEnd)
        input.pause()
      }
      input.on('data', onData)
      input.once('end', onEnd)
    })
  } finally {
    if (raw) input.setRawMode!(false)
    output.write('\n')
  }
}
