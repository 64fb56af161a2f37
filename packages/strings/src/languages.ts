/** The languages every string exists in. */
export const LANGUAGES = ['en', 'zh'] as const
export type Language = typeof LANGUAGES[number]

/** Each language's name, written in itself (for a language switch). */
export const LANGUAGE_NAMES: Record<Language, string> = { en: 'English', zh: '简体中文' }

export function isLanguage (value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value)
}

/**
 * The first supported language among `preferences` (BCP 47 tags such as
 * `navigator.languages`, or POSIX locales such as `LANG=zh_CN.UTF-8`), else English.
 */
export function pickLanguage (preferences: ReadonlyArray<string | undefined>): Language {
  for (const preference of preferences) {
    const primary = preference?.toLowerCase().split(/[-_.@]/)[0]
    if (isLanguage(primary)) return primary
  }
  return 'en'
}
