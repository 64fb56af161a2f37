import { LANGUAGE_NAMES, LANGUAGES, isLanguage } from '@chat/strings'
import type { Language } from '@chat/strings'
import { useWords } from './words.js'

/** English or 简体中文, each written in itself. */
export function LanguageSwitch ({ onLanguage }: { onLanguage: (lang: Language) => void }) {
  const words = useWords()
  return (
    <label class="language">
      <span>{words.t('web.language')}</span>
      <select
        value={words.lang}
        onChange={event => {
          const value = event.currentTarget.value
          if (isLanguage(value)) onLanguage(value)
        }}
      >
        {LANGUAGES.map(lang => <option key={lang} value={lang} lang={lang === 'zh' ? 'zh-CN' : 'en'}>{LANGUAGE_NAMES[lang]}</option>)}
      </select>
    </label>
  )
}
