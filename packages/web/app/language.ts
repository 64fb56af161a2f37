import { isLanguage, pickLanguage } from '@chat/strings'
import type { Language } from '@chat/strings'

/** What of localStorage the page uses. */
export interface KeyValueStorage {
  getItem: (key: string) => string | null
  setItem: (key: string, value: string) => void
}

/** The page's localStorage, or undefined where the browser keeps it from the page (reading it can throw). */
export function browserStorage (): KeyValueStorage | undefined {
  try {
    return globalThis.localStorage ?? undefined
  } catch {
    return undefined
  }
}

/** Where the chosen language is remembered (localStorage). */
export const LANGUAGE_KEY = 'chat.lang'

/** The language chosen on this browser before, else the first of the browser's languages we have, else English. */
export function initialLanguage (storage: Pick<KeyValueStorage, 'getItem'> | undefined, preferences: readonly string[]): Language {
  let stored: string | null | undefined
  try {
    stored = storage?.getItem(LANGUAGE_KEY)
  } catch {
    // Storage can be turned off: the browser's languages decide.
  }
  return isLanguage(stored) ? stored : pickLanguage(preferences)
}

export function rememberLanguage (storage: Pick<KeyValueStorage, 'setItem'> | undefined, lang: Language): void {
  try {
    storage?.setItem(LANGUAGE_KEY, lang)
  } catch {
    // Not remembered, still switched.
  }
}

/** The `lang` attribute of the document in each language. */
export const HTML_LANG: Record<Language, string> = { en: 'en', zh: 'zh-CN' }
