import type { Translator } from './translate.js'

/** "ann is typing…", "ann and ben are typing…", "Several people are typing…"; '' when nobody is. */
export function typingText (words: Translator, users: readonly string[]): string {
  if (users.length === 0) return ''
  if (users.length === 1) return words.t('typing.one', { user: users[0] })
  if (users.length === 2) return words.t('typing.two', { user: users[0], other: users[1] })
  return words.t('typing.many')
}
