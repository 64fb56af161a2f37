import type { ErrorCode } from '@chat/protocol'
import { en, enErrors } from './en.js'
import type { StringKey } from './en.js'
import type { Language } from './languages.js'
import { zh, zhErrors } from './zh.js'

export type Params = Record<string, string | number>

const CATALOGUES: Record<Language, Record<StringKey, string>> = { en, zh }
const ERRORS: Record<Language, Record<ErrorCode, string>> = { en: enErrors, zh: zhErrors }

/** The words of one language: `t(key, params)` and `error(code)`. */
export interface Translator {
  readonly lang: Language
  t: (key: StringKey, params?: Params) => string
  /** What an error code means, in words; a code this catalogue does not know says so with the code. */
  error: (code: string) => string
}

export function translator (lang: Language): Translator {
  const strings = CATALOGUES[lang]
  const errors = ERRORS[lang] as Record<string, string | undefined>
  const t = (key: StringKey, params: Params = {}): string =>
    strings[key].replace(/\{(\w+)\}/g, (whole, name: string) => name in params ? String(params[name]) : whole)
  return {
    lang,
    t,
    error: code => errors[code] ?? t('error.other', { code })
  }
}
