import type { ChatMessage } from '@chat/client'
import type { Translator } from '@chat/strings'

/** ANSI styles, or none: off when `NO_COLOR` is set or the output is not a terminal. */
export interface Style {
  name: (text: string) => string
  self: (text: string) => string
  room: (text: string) => string
  notice: (text: string) => string
  problem: (text: string) => string
  time: (text: string) => string
}

const sgr = (open: number, close: number) => (text: string): string => `\u001b[${open}m${text}\u001b[${close}m`
const plain = (text: string): string => text

export function style (colour: boolean): Style {
  if (!colour) return { name: plain, self: plain, room: plain, notice: plain, problem: plain, time: plain }
  return { name: sgr(36, 39), self: sgr(32, 39), room: sgr(35, 39), notice: sgr(2, 22), problem: sgr(31, 39), time: sgr(2, 22) }
}

/** Colour only for a terminal, and never when NO_COLOR is set to anything (https://no-color.org). */
export function wantsColour (env: NodeJS.ProcessEnv, isTTY: boolean | undefined): boolean {
  return isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '')
}

const pad = (n: number): string => String(n).padStart(2, '0')

/** `[HH:MM]` for today, `[YYYY-MM-DD HH:MM]` for any other day, in local time. */
export function timestamp (ts: number, now = Date.now()): string {
  const at = new Date(ts)
  const today = new Date(now)
  const hhmm = `${pad(at.getHours())}:${pad(at.getMinutes())}`
  const sameDay = at.getFullYear() === today.getFullYear() && at.getMonth() === today.getMonth() && at.getDate() === today.getDate()
  return sameDay ? `[${hhmm}]` : `[${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${hhmm}]`
}

/** How each kind of line looks. */
export class LineFormat {
  constructor (private readonly me: () => string, private readonly words: Translator, private readonly s: Style, private readonly now = Date.now) {}

  private who (name: string): string {
    return name === this.me() ? this.s.self(name) : this.s.name(name)
  }

  /** A room message, or a direct message to or from us. */
  message (msg: Pick<ChatMessage, 'room' | 'to' | 'from' | 'text' | 'ts'>): string {
    const time = this.s.time(timestamp(msg.ts, this.now()))
    if (msg.room !== undefined) return `${time} ${this.s.room(`#${msg.room}`)} <${this.who(msg.from)}> ${msg.text}`
    const you = this.words.t('you')
    const from = msg.from === this.me() ? this.s.self(you) : this.s.name(msg.from)
    const to = msg.to === this.me() ? this.s.self(you) : this.s.name(msg.to ?? '?')
    return `${time} <${from} → ${to}> ${msg.text}`
  }

  notice (text: string): string {
    return this.s.notice(`* ${text}`)
  }

  problem (text: string): string {
    return this.s.problem(`! ${text}`)
  }
}
