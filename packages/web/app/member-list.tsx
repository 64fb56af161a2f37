import type { ChatSession } from './session.js'
import { useWords } from './words.js'

interface MemberProps {
  session: ChatSession
  room: string
  members: readonly string[]
  onOpen: (user: string) => void
}

/** Who is in the open room, as it changes; a click opens a conversation with them. */
export function MemberList ({ session, room, members, onOpen }: MemberProps) {
  const words = useWords()
  const me = session.me.toLowerCase()
  return (
    <aside id="members" class="members" aria-labelledby="members-heading">
      <h2 id="members-heading">{words.t('web.members', { room })} <span class="count">{members.length}</span></h2>
      <ul>
        {members.map(member => (
          <li key={member}>
            {member.toLowerCase() === me
              ? <span class="member me">{words.t('web.fromYou', { user: member })}</span>
              : <button type="button" class="member" title={words.t('web.writeTo', { user: member })} aria-label={words.t('web.writeTo', { user: member })} onClick={() => { onOpen(member) }}>{member}</button>}
          </li>
        ))}
      </ul>
    </aside>
  )
}
