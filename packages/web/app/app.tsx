import { useEffect, useMemo, useState } from 'preact/hooks'
import { translator } from '@chat/strings'
import type { Language } from '@chat/strings'
import { ChatView } from './chat-view.js'
import { browserStorage, HTML_LANG, initialLanguage, rememberLanguage } from './language.js'
import { LoginView } from './login-view.js'
import type { ChatSession } from './session.js'
import { Words } from './words.js'

/** The page: the login form until a session is open, then the chat; in the language chosen (and remembered). */
export function App () {
  const [lang, setLang] = useState<Language>(() => initialLanguage(browserStorage(), navigator.languages))
  const [session, setSession] = useState<ChatSession | undefined>(undefined)
  const [lastName, setLastName] = useState('')
  const words = useMemo(() => translator(lang), [lang])

  useEffect(() => {
    document.documentElement.lang = HTML_LANG[lang]
  }, [lang])

  const chooseLanguage = (chosen: Language): void => {
    rememberLanguage(browserStorage(), chosen)
    setLang(chosen)
  }

  const leave = (): void => {
    if (session === undefined) return
    setLastName(session.me)
    void session.close()
    setSession(undefined)
  }

  return (
    <Words.Provider value={words}>
      {session === undefined
        ? <LoginView initialName={lastName} onLogin={setSession} onLanguage={chooseLanguage} />
        : <ChatView session={session} onLogout={leave} onLanguage={chooseLanguage} />}
    </Words.Provider>
  )
}
