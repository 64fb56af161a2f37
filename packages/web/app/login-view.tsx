import { useEffect, useRef, useState } from 'preact/hooks'
import { ChatError, connect } from '@chat/client'
import type { Language } from '@chat/strings'
import { LanguageSwitch } from './language-switch.js'
import { browserStorage } from './language.js'
import { rememberedRooms, rememberRooms } from './remembered-rooms.js'
import { webSocketUrl } from './server-url.js'
import { ChatSession } from './session.js'
import { useTitle } from './use-title.js'
import { useWords } from './words.js'

const NAME_KEY = 'chat.name'
/** The room everyone starts in, as in the terminal client. */
export const FIRST_ROOM = 'general'

function storedName (): string {
  try {
    return browserStorage()?.getItem(NAME_KEY) ?? ''
  } catch {
    return ''
  }
}

interface LoginProps {
  /** The name last used here (after logging out). */
  initialName: string
  onLogin: (session: ChatSession) => void
  onLanguage: (lang: Language) => void
}

/** A name, a password for a registered one, or registering it; a refusal says why in words. */
export function LoginView ({ initialName, onLogin, onLanguage }: LoginProps) {
  const words = useWords()
  const [name, setName] = useState(() => initialName !== '' ? initialName : storedName())
  const [password, setPassword] = useState('')
  const [register, setRegister] = useState(false)
  const [busy, setBusy] = useState(false)
  const [failure, setFailure] = useState<string | undefined>(undefined)
  const nameInput = useRef<HTMLInputElement | null>(null)
  useTitle(words.t('web.title'))
  useEffect(() => { nameInput.current?.focus() }, [])

  const submit = async (event: Event): Promise<void> => {
    event.preventDefault()
    if (busy) return
    const username = name.trim()
    if (register && password === '') {
      setFailure('weak_password')
      return
    }
    setBusy(true)
    setFailure(undefined)
    try {
      const client = await connect(webSocketUrl(location), {
        username,
        password: password === '' ? undefined : password,
        register: register ? true : undefined,
        maxReconnectAttempts: -1
      })
      try {
        browserStorage()?.setItem(NAME_KEY, client.username)
      } catch {
        // Not remembered: typed again next time.
      }
      // A registered user's rooms are joined again (their unread counts are the server's); a guest starts afresh.
      const storage = browserStorage()
      const session = new ChatSession(client, client.registered ? { rememberRooms: rooms => { rememberRooms(storage, client.username, rooms) } } : {})
      session.start()
      const rooms = client.registered ? rememberedRooms(storage, client.username).filter(room => room !== FIRST_ROOM) : []
      void session.join(FIRST_ROOM).then(async () => {
        for (const room of rooms) await session.join(room, { open: false })
      })
      onLogin(session)
    } catch (err) {
      setFailure(err instanceof ChatError ? err.code : 'connect_failed')
      setBusy(false)
    }
  }

  return (
    <main class="login">
      <form class="login-form" onSubmit={event => { void submit(event) }}>
        <h1>{words.t('web.login.heading')}</h1>
        <label>
          <span>{words.t('web.login.name')}</span>
          <input ref={nameInput} name="username" autocomplete="username" required maxLength={32} value={name} onInput={event => { setName(event.currentTarget.value) }} />
        </label>
        <label>
          <span>{words.t('web.login.password')}</span>
          <input
            name="password" type="password" autocomplete={register ? 'new-password' : 'current-password'} aria-describedby="password-hint"
            value={password} onInput={event => { setPassword(event.currentTarget.value) }}
          />
        </label>
        <p id="password-hint" class="hint">{words.t('web.login.passwordHint')}</p>
        <label class="check">
          <input name="register" type="checkbox" checked={register} onChange={event => { setRegister(event.currentTarget.checked) }} />
          <span>{words.t('web.login.register')}</span>
        </label>
        <button type="submit" disabled={busy}>
          {busy ? words.t('web.login.connecting') : words.t(register ? 'web.login.registerSubmit' : 'web.login.submit')}
        </button>
        {failure !== undefined && <p class="failure" role="alert">{words.t('login.failed', { reason: words.error(failure) })}</p>}
      </form>
      <LanguageSwitch onLanguage={onLanguage} />
    </main>
  )
}
