import type { Language } from '@chat/strings'

/** The locale each language's dates and times are written in. */
export const LOCALES: Record<Language, string> = { en: 'en-GB', zh: 'zh-CN' }

/** The local calendar day of a time, as `YYYY-MM-DD` (messages between two days get a separator). */
export function localDay (ts: number): string {
  const date = new Date(ts)
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`
}

/** `HH:MM`, local time, 24-hour in both languages (as the terminal client writes it). */
export function clockTime (ts: number): string {
  const date = new Date(ts)
  return `${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** What a day separator says: today, yesterday, or the date in the language's own way. */
export type DayLabel = { relative: 'today' | 'yesterday' } | { date: string }

export function dayLabel (ts: number, now: number, lang: Language): DayLabel {
  const day = localDay(ts)
  if (day === localDay(now)) return { relative: 'today' }
  const yesterday = new Date(now)
  yesterday.setDate(yesterday.getDate() - 1)
  if (day === localDay(yesterday.getTime())) return { relative: 'yesterday' }
  const sameYear = new Date(ts).getFullYear() === new Date(now).getFullYear()
  return {
    date: new Intl.DateTimeFormat(LOCALES[lang], { weekday: 'long', day: 'numeric', month: 'long', year: sameYear ? undefined : 'numeric' }).format(ts)
  }
}

function pad (n: number): string {
  return n < 10 ? `0${n}` : String(n)
}
