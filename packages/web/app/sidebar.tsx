import { useState } from 'preact/hooks'
import type { Language } from '@chat/strings'
import { Badge } from './badge.js'
import { roomKey } from './conversation.js'
import type { ConversationKey } from './conversation.js'
import { LanguageSwitch } from './language-switch.js'
import type { ChatSession } from './session.js'
import { useWords } from './words.js'

interface SidebarProps {
  session: ChatSession
  onOpen: (key: ConversationKey) => void
  /** A room was joined (and opened). */
  onJoined: () => void
  onLogout: () => void
  onLanguage: (lang: Language) => void
}

interface RoomRow {
  room: string
  count: number
  joined: boolean
}

/** The rooms we are in first (in the order we joined them), then the others on the server, each with how many are in it. */
export function roomRows (session: ChatSession): RoomRow[] {
  const listed = new Map(session.rooms.map(({ room, members }) => [room, members]))
  const joined = session.joined.map(room => ({ room, count: session.members.get(room)?.length ?? listed.get(room) ?? 0, joined: true }))
  const others = session.rooms
    .filter(({ room }) => !session.joined.includes(room))
    .map(({ room, members }) => ({ room, count: members, joined: false }))
    .sort((a, b) => a.room.localeCompare(b.room))
  return [...joined, ...others]
}

/** Who we are, the language, the rooms (join, open, leave), a room to join or create, and the direct conversations. */
export function Sidebar ({ session, onOpen, onJoined, onLogout, onLanguage }: SidebarProps) {
  const words = useWords()
  const [wanted, setWanted] = useState('')

  const join = async (room: string): Promise<void> => {
    if (await session.join(room)) onJoined()
  }

  return (
    <nav id="sidebar" class="sidebar" aria-label={words.t('web.menu')}>
      <div class="me">
        <span class="who">{words.t('web.loggedInAs', { user: session.me })}</span>
        <button type="button" onClick={onLogout}>{words.t('web.logout')}</button>
      </div>
      <LanguageSwitch onLanguage={onLanguage} />

      <h2>{words.t('web.rooms')}</h2>
      <ul class="rooms">
        {roomRows(session).map(({ room, count, joined }) => {
          const key = roomKey(room)
          const current = session.current === key
          return (
            <li key={room} class={joined ? 'joined' : undefined}>
              <button
                type="button" class={current ? 'open current' : 'open'} aria-current={current ? 'true' : undefined}
                onClick={() => { if (joined) onOpen(key); else void join(room) }}
              >
                <span class="name">#{room}</span>
                <span class="count">{words.t('web.online', { count })}</span>
                <Badge count={session.conversation(key)?.unread ?? 0} />
              </button>
              {joined && (
                <button type="button" class="icon leave" aria-label={words.t('web.leave', { room })} title={words.t('web.leave', { room })} onClick={() => { void session.leave(room) }}>×</button>
              )}
            </li>
          )
        })}
      </ul>
      <form
        class="join"
        onSubmit={event => {
          event.preventDefault()
          const room = wanted
          setWanted('')
          void join(room)
        }}
      >
        <label>
          <span>{words.t('web.joinRoom')}</span>
          <input name="room" autocomplete="off" maxLength={65} value={wanted} onInput={event => { setWanted(event.currentTarget.value) }} />
        </label>
        <button type="submit">{words.t('web.join')}</button>
      </form>

      <h2>{words.t('web.direct')}</h2>
      {session.directs.length === 0
        ? <p class="hint">{words.t('web.directNone')}</p>
        : (
          <ul class="directs">
            {session.directs.map(conversation => {
              const current = session.current === conversation.key
              return (
                <li key={conversation.key}>
                  <button type="button" class={current ? 'open current' : 'open'} aria-current={current ? 'true' : undefined} onClick={() => { onOpen(conversation.key) }}>
                    <span class="name">{conversation.name}</span>
                    <Badge count={conversation.unread} />
                  </button>
                </li>
              )
            })}
          </ul>
          )}
    </nav>
  )
}
