import { useEffect, useRef, useState } from 'preact/hooks'
import type { Language } from '@chat/strings'
import { Composer } from './composer.js'
import type { ConversationKey } from './conversation.js'
import { MemberList } from './member-list.js'
import { MessageList } from './message-list.js'
import type { ChatSession } from './session.js'
import { Sidebar } from './sidebar.js'
import { StatusBar } from './status-bar.js'
import { TypingLine } from './typing-line.js'
import { useSession } from './use-session.js'
import { useTitle } from './use-title.js'
import { useWords } from './words.js'

interface ChatProps {
  session: ChatSession
  onLogout: () => void
  onLanguage: (lang: Language) => void
}

/**
 * The chat: rooms and people on the left, the open conversation with the
 * line being typed, the room's members on the right. On a narrow screen the
 * two sides are drawers opened from the top bar.
 */
export function ChatView ({ session, onLogout, onLanguage }: ChatProps) {
  useSession(session)
  const words = useWords()
  const [drawer, setDrawer] = useState<'nav' | 'members' | undefined>(undefined)
  const input = useRef<HTMLTextAreaElement | null>(null)
  const current = session.conversation(session.current)
  const unread = [...session.conversations.values()].reduce((sum, c) => sum + c.unread, 0)
  useTitle(unread > 0 ? `(${unread}) ${words.t('web.title')}` : words.t('web.title'))

  const opened = (): void => {
    setDrawer(undefined)
    input.current?.focus()
  }
  const open = (key: ConversationKey): void => {
    session.open(key)
    opened()
  }
  const openDirect = (user: string): void => {
    session.openDirect(user)
    opened()
  }
  const reply = (): void => {
    if (session.replyToLast()) opened()
  }

  // Logged in, in a room (#general is being joined): ready to type.
  const focused = useRef(false)
  useEffect(() => {
    if (focused.current || current === undefined) return
    focused.current = true
    input.current?.focus()
  }, [current])

  // Alt+R anywhere on the page: reply to whoever wrote last (the terminal's /r). Escape closes a drawer.
  const replyKey = useRef(reply)
  replyKey.current = reply
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (event.altKey && !event.ctrlKey && !event.metaKey && event.code === 'KeyR') {
        event.preventDefault()
        replyKey.current()
      } else if (event.key === 'Escape') {
        setDrawer(undefined)
      }
    }
    document.addEventListener('keydown', onKey)
    return () => { document.removeEventListener('keydown', onKey) }
  }, [])

  // What the open conversation shows is read while the page is in front and focused.
  useEffect(() => {
    const update = (): void => { session.setFocused(document.visibilityState === 'visible' && document.hasFocus()) }
    update()
    window.addEventListener('focus', update)
    window.addEventListener('blur', update)
    document.addEventListener('visibilitychange', update)
    return () => {
      window.removeEventListener('focus', update)
      window.removeEventListener('blur', update)
      document.removeEventListener('visibilitychange', update)
    }
  }, [session])

  const toggle = (which: 'nav' | 'members'): void => { setDrawer(drawer === which ? undefined : which) }
  const members = current?.kind === 'room' ? session.members.get(current.name) : undefined

  return (
    <div class={`chat${drawer === undefined ? '' : ` drawer-${drawer}`}`}>
      <header class="topbar">
        <button type="button" class="icon menu" aria-label={words.t('web.menu')} aria-expanded={drawer === 'nav'} aria-controls="sidebar" onClick={() => { toggle('nav') }}>
          <span aria-hidden="true">☰</span>
          {unread > 0 && <span class="dot" aria-hidden="true" />}
        </button>
        <h1 class="title">{current === undefined ? words.t('web.title') : current.kind === 'room' ? `#${current.name}` : current.name}</h1>
        {members !== undefined && (
          <button type="button" class="members-toggle" aria-expanded={drawer === 'members'} aria-controls="members" onClick={() => { toggle('members') }}>
            {words.t('web.membersShow')} <span class="count">{members.length}</span>
          </button>
        )}
      </header>
      <StatusBar session={session} onLoginAgain={onLogout} />
      <Sidebar session={session} onOpen={open} onJoined={opened} onLogout={onLogout} onLanguage={onLanguage} />
      <main class="conversation">
        {current === undefined
          ? <p class="nothing">{words.t('web.nothingOpen')}</p>
          : <MessageList key={current.key} session={session} conversation={current} />}
        <TypingLine users={session.typingIn(session.current)} />
        <Composer session={session} input={input} onOpen={open} onOpenDirect={openDirect} onReply={reply} />
      </main>
      {current !== undefined && members !== undefined && <MemberList session={session} room={current.name} members={members} onOpen={openDirect} />}
      {drawer !== undefined && <div class="scrim" aria-hidden="true" onClick={() => { setDrawer(undefined) }} />}
    </div>
  )
}
